"""Helpers for the cgroup v2 effect suite (test_v2_*.py, run inside the
pure cgroup v2 VM): the container's cgroup directory, bundles placed at an
absolute cgroupsPath named after the test's id prefix (so the leak guard
finds and removes whatever a failing test leaves), and reading the JSON
lines a container writes.

Cleanup on failure: tmp_root's teardown runs `ocirun delete --force` for
every container of the test and SIGKILLs a surviving init; the leak guard
then thaws, kills and removes any cgroup whose name carries the prefix."""

import json
import os
import time
from pathlib import Path

import pytest

CGROUP = "/sys/fs/cgroup"
MiB = 1 << 20


def pure_v2():
    return os.path.exists(CGROUP + "/cgroup.controllers")


@pytest.fixture
def v2host():
    """The suite checks effects on the real hierarchy: nothing to do elsewhere."""
    if not pure_v2():
        pytest.skip("needs a pure cgroup v2 host (the VM: tests/vm)")
    return CGROUP


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


def cg_dir(path):
    return CGROUP + path


def read(path):
    return Path(path).read_text().strip()


def cg_read(path, name):
    return read(f"{cg_dir(path)}/{name}")


def keyed(text):
    """A "key value" per line file (cgroup.events, memory.events, cpu.stat)."""
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        out[k] = int(v) if v.lstrip("-").isdigit() else v
    return out


def cg_keyed(path, name):
    return keyed(cg_read(path, name))


def procs_of(path):
    return sorted(int(p) for p in cg_read(path, "cgroup.procs").split())


def place(bundle, path, resources=None, args=None, writable=False, devices=None):
    """Puts the bundle's container at cgroupsPath `path` with `resources`
    (the default deny-all device rule kept first, as in runc's spec)."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = path
    res = {"devices": [{"allow": False, "access": "rwm"}]}
    res.update(resources or {})
    linux["resources"] = res
    if devices is not None:
        linux["devices"] = devices
    if args is not None:
        bundle.config["process"]["args"] = [str(a) for a in args]
    bundle.config["root"]["readonly"] = not writable
    bundle.write()


def add_caps(bundle, *caps):
    for kind in ("bounding", "effective", "permitted"):
        have = bundle.config["process"]["capabilities"][kind]
        have.extend(c for c in caps if c not in have)
    bundle.write()


def wait_for(cond, timeout=20.0, step=0.05):
    """Polls cond until it is true; under TCG everything is slow, so the
    default timeout is generous (a passing test never waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def json_lines(text):
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def rootfs_json(bundle, name):
    """The JSON lines a container wrote to /tmp/NAME of its rootfs."""
    try:
        return json_lines((bundle.rootfs / "tmp" / name).read_text())
    except OSError:
        return []


def state(run_ocirun, cid):
    return json.loads(run_ocirun("state", cid, check=True).stdout)


def status(run_ocirun, cid):
    r = run_ocirun("state", cid)
    return json.loads(r.stdout)["status"] if r.returncode == 0 else None


def wait_stopped(run_ocirun, cid, timeout=30.0):
    return wait_for(lambda: status(run_ocirun, cid) == "stopped", timeout, step=0.1)


def script(*commands):
    """A /bin/sh -c argv that runs each command in turn (each ocitest call
    prints one JSON line), whatever their exit codes."""
    return ["/bin/sh", "-c", "; ".join(commands)]


def gone(pid):
    """The process exited (a zombie counts: it holds nothing any more)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
