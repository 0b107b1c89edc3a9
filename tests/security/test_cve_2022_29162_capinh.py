"""CVE-2022-29162 (runc) and CVE-2022-27650 (crun): the inheritable
capability set was filled (runc: with the bounding set for `exec --cap`;
crun: with the whole config's list) instead of left empty, so a workload
that executes a file with inheritable file capabilities gained them.

ocirun sets inheritable and ambient exactly as listed in the process
object and never adds to them: `exec --cap` goes to bounding, effective and
permitted only. CapInh in /proc/self/status is read raw."""

import json

import pytest

from conftest import json_from

pytestmark = pytest.mark.root

STATUS = "grep -E '^Cap(Inh|Amb|Bnd|Prm|Eff):' /proc/self/status"


def caps(text):
    return {k.rstrip(":"): int(v, 16) for k, v in (line.split() for line in text.splitlines())}


def test_capinh_zero_after_create(bundle, run_ocirun, unique_id):
    bundle.set_args(["/bin/sh", "-c", STATUS])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
    c = caps(r.stdout)
    assert c["CapInh"] == 0 and c["CapAmb"] == 0, r.stdout
    assert c["CapBnd"] != 0


def test_capinh_zero_after_exec_cap(bundle, run_ocirun, unique_id, test_dir):
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    r = run_ocirun("exec", "--cap", "CAP_SYS_ADMIN", "-c", "net_raw", unique_id,
                   "/bin/sh", "-c", STATUS, check=True)
    c = caps(r.stdout)
    assert c["CapInh"] == 0 and c["CapAmb"] == 0, r.stdout
    assert c["CapEff"] & (1 << 21) and c["CapPrm"] & (1 << 21)  # CAP_SYS_ADMIN
    # --process with no inheritable list: still empty
    proc = dict(bundle.config["process"], args=["/bin/sh", "-c", STATUS])
    proc["capabilities"] = {k: ["CAP_SYS_ADMIN", "CAP_KILL"]
                            for k in ("bounding", "effective", "permitted")}
    (test_dir / "p.json").write_text(json.dumps(proc))
    r = run_ocirun("exec", "--process", str(test_dir / "p.json"), unique_id, check=True)
    assert caps(r.stdout)["CapInh"] == 0, r.stdout


def test_inheritable_only_as_listed(bundle, run_ocirun, unique_id):
    """When the config does list inheritable capabilities, exactly those
    are set (the spec's semantics), nothing from the other sets."""
    c = bundle.config["process"]["capabilities"]
    c["inheritable"] = ["CAP_KILL"]
    bundle.set_args(["/bin/ocitest", "caps"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
    names = json_from(r.stdout)["names"]
    assert names["inheritable"] == ["CAP_KILL"]
