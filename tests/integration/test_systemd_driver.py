"""The systemd cgroup driver (issue #6) as root, inside the systemd VM
(tests/vm/run --systemd: systemd 252 as PID 1 on pure cgroup v2): a
transient scope per container with the right properties, the same values
in `systemctl show` and in the cgroup files, limits the kernel enforces,
update of both, exec into the scope, later commands that find the scope
from the state without the flag, delete that leaves no unit, and a
leftover failed scope of the same name that is reset and reused.  The
rootless user manager is test_systemd_rootless.py; the host's refusal
(no systemd there) test_systemd_host.py."""

import json
import subprocess
from pathlib import Path

import pytest

from v2effects_util import MiB, json_lines, rootfs_json, script, wait_for

pytestmark = [pytest.mark.systemd, pytest.mark.root]

CGROUP = Path("/sys/fs/cgroup")
PREFIX = "ocirun-test"


def sh(*args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def show(unit, *props):
    r = sh("systemctl", "show", *[f"-p{p}" for p in props], unit)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def unit_gone(unit):
    """No unit of that name is loaded any more (not even failed)."""
    props = show(unit, "LoadState", "ActiveState")
    return props["LoadState"] == "not-found" or (
        props["ActiveState"] == "inactive" and props["LoadState"] != "loaded")


def scope_of(cid):
    return f"{PREFIX}-{cid}.scope"


def place(bundle, cid, resources=None, args=None, slice_="system.slice", writable=False):
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = f"{slice_}:{PREFIX}:{cid}"
    if resources is not None:
        res = dict(linux.get("resources") or {})
        res.update(resources)
        linux["resources"] = res
    if args is not None:
        bundle.set_args(args)
    bundle.set_writable(writable)
    bundle.write()


def run_sd(run_ocirun, *args, **kw):
    return run_ocirun("--systemd-cgroup", *args, **kw)


def init_cgroup(pid):
    return Path(f"/proc/{pid}/cgroup").read_text().strip()


def cg_file(unit_cgroup, name):
    return (CGROUP / unit_cgroup.lstrip("/") / name).read_text().strip()


@pytest.fixture
def sd_cleanup(unique_id):
    """A unit the test made and a failing test left: stopped and reset."""
    units = [scope_of(unique_id)]
    yield units
    for u in units:
        sh("systemctl", "stop", u)
        sh("systemctl", "reset-failed", u)


def test_scope_has_the_properties_and_the_files_agree(bundle, run_ocirun, unique_id,
                                                     sd_cleanup):
    res = {"memory": {"limit": 64 * MiB, "reservation": 16 * MiB},
           "pids": {"limit": 32},
           "cpu": {"quota": 50000, "period": 100000, "shares": 512}}
    place(bundle, unique_id, res, args=["/bin/sleep", "600"])
    r = run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    unit = scope_of(unique_id)
    p = show(unit, "ActiveState", "Slice", "Delegate", "ControlGroup", "Description", "MemoryMax",
             "MemoryLow", "TasksMax", "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "CPUWeight")
    assert p["ActiveState"] == "active" and p["Slice"] == "system.slice", p
    assert p["Delegate"] == "yes", p
    assert p["ControlGroup"] == f"/system.slice/{unit}", p
    assert p["Description"] == f"ocirun container {unique_id}", p
    assert (p["MemoryMax"], p["MemoryLow"], p["TasksMax"]) == (
        str(64 * MiB), str(16 * MiB), "32"), p
    assert (p["CPUQuotaPerSecUSec"], p["CPUQuotaPeriodUSec"]) == ("500ms", "100ms"), p
    cg = p["ControlGroup"]
    # the files hold what systemd shows
    assert cg_file(cg, "memory.max") == p["MemoryMax"]
    assert cg_file(cg, "memory.low") == p["MemoryLow"]
    assert cg_file(cg, "pids.max") == p["TasksMax"]
    assert cg_file(cg, "cpu.max") == "50000 100000"
    assert cg_file(cg, "cpu.weight") == p["CPUWeight"]
    # the init is in the scope itself, and the state names it
    st = run_ocirun("state", unique_id, check=True)
    pid = json.loads(st.stdout)["pid"]
    assert init_cgroup(pid) == f"0::{cg}"
    assert cg_file(cg, "cgroup.procs").split() == [str(pid)]
    r = run_ocirun("delete", "--force", unique_id)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: unit_gone(unit)), show(unit, "LoadState", "ActiveState")
    assert not (CGROUP / cg.lstrip("/")).exists()


def test_default_cgroups_path_is_ocirun_scope_in_system_slice(bundle, run_ocirun, unique_id,
                                                              sd_cleanup):
    bundle.config["linux"].pop("cgroupsPath", None)
    bundle.set_args(["/bin/sleep", "600"])
    bundle.write()
    unit = f"ocirun-{unique_id}.scope"
    sd_cleanup.append(unit)
    r = run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert show(unit, "ControlGroup")["ControlGroup"] == f"/system.slice/{unit}"
    run_ocirun("delete", "--force", unique_id, check=True)
    assert wait_for(lambda: unit_gone(unit))


def test_fork_loop_stops_at_tasks_max(bundle, run_ocirun, unique_id, sd_cleanup):
    place(bundle, unique_id, {"pids": {"limit": 8}}, writable=True,
          args=script("exec /bin/ocitest fork-sleep 40 600 > /tmp/forks"))
    run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: rootfs_json(bundle, "forks")), "the fork loop reported"
    (res,) = rootfs_json(bundle, "forks")
    assert res["ok"] is False and res["errno_name"] == "EAGAIN", res
    assert res["forked"] == 7, res
    cg = f"/system.slice/{scope_of(unique_id)}"
    assert cg_file(cg, "pids.current") == "8"
    assert show(scope_of(unique_id), "TasksCurrent")["TasksCurrent"] == "8"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_memory_hog_is_killed_at_memory_max(bundle, run_ocirun, unique_id, sd_cleanup):
    place(bundle, unique_id, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}},
          args=["/bin/ocitest", "alloc", "200"])
    r = run_sd(run_ocirun, "run", "--bundle", bundle.path, unique_id, timeout=90)
    assert r.returncode == 137, (r.returncode, r.stdout, r.stderr)
    assert not json_lines(r.stdout), "the hog never finished its allocation"
    assert wait_for(lambda: unit_gone(scope_of(unique_id)))


def test_update_changes_the_unit_and_the_files(bundle, run_ocirun, unique_id, sd_cleanup):
    place(bundle, unique_id, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 32}},
          args=["/bin/sleep", "600"])
    run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id, check=True)
    # no flag: the manager comes from the state, as for every later command
    r = run_ocirun("update", "--memory", str(128 * MiB), "--pids-limit", "50",
                   "--cpu-quota", "20000", "--cpu-period", "100000", unique_id)
    assert r.returncode == 0, r.stderr
    unit = scope_of(unique_id)
    p = show(unit, "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "ControlGroup")
    assert (p["MemoryMax"], p["TasksMax"], p["CPUQuotaPerSecUSec"]) == (
        str(128 * MiB), "50", "200ms"), p
    cg = p["ControlGroup"]
    assert cg_file(cg, "memory.max") == str(128 * MiB)
    assert cg_file(cg, "pids.max") == "50"
    assert cg_file(cg, "cpu.max") == "20000 100000"
    # a daemon-reload re-applies the unit's values: still the new ones
    assert sh("systemctl", "daemon-reload").returncode == 0
    assert cg_file(cg, "pids.max") == "50"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_exec_ps_pause_kill_delete_find_the_scope(bundle, run_ocirun, unique_id, sd_cleanup):
    place(bundle, unique_id, args=["/bin/sleep", "600"])
    run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id, check=True)
    unit = scope_of(unique_id)
    cg = show(unit, "ControlGroup")["ControlGroup"]
    r = run_ocirun("exec", unique_id, "/bin/cat", "/proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    # the container has no cgroup namespace here: it sees the host path
    assert r.stdout.strip() == f"0::{cg}", r.stdout
    r = run_ocirun("ps", "--format", "json", unique_id)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 1, r.stdout + r.stderr
    run_ocirun("pause", unique_id, check=True)
    assert "frozen 1" in cg_file(cg, "cgroup.events")
    run_ocirun("resume", unique_id, check=True)
    assert "frozen 0" in cg_file(cg, "cgroup.events")
    run_ocirun("kill", unique_id, "KILL", check=True)
    assert wait_for(lambda: "populated 0" in cg_file(cg, "cgroup.events")
                    if (CGROUP / cg.lstrip("/")).exists() else True)
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: unit_gone(unit))
    assert not (CGROUP / cg.lstrip("/")).exists()


def test_cgroup_namespace_is_rooted_at_the_scope(bundle, run_ocirun, unique_id, sd_cleanup):
    """The scope starts after the clone (it needs the pid): the child's
    cgroup namespace must still be made inside it, so the container sees
    itself at "/"."""
    if not any(ns["type"] == "cgroup" for ns in bundle.config["linux"]["namespaces"]):
        bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    place(bundle, unique_id, {"pids": {"limit": 20}},
          args=["/bin/sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max"])
    r = run_sd(run_ocirun, "run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0::/", "20"], r.stdout
    assert wait_for(lambda: unit_gone(scope_of(unique_id)))


def test_leftover_failed_scope_is_reset_and_reused(bundle, run_ocirun, unique_id, sd_cleanup):
    unit = scope_of(unique_id)
    # a scope of the same name that failed (its runtime limit hit)
    sh("systemd-run", "--scope", f"--unit={unit}", "-p", "RuntimeMaxSec=1", "sleep", "30",
       timeout=60)
    assert wait_for(lambda: show(unit, "ActiveState")["ActiveState"] == "failed"), show(
        unit, "ActiveState", "LoadState")
    place(bundle, unique_id, {"pids": {"limit": 16}}, args=["/bin/sleep", "600"])
    r = run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    p = show(unit, "ActiveState", "Description", "TasksMax")
    assert p == {"ActiveState": "active", "Description": f"ocirun container {unique_id}",
                 "TasksMax": "16"}, p
    run_ocirun("delete", "--force", unique_id, check=True)
    assert wait_for(lambda: unit_gone(unit))


def test_active_unit_of_the_same_name_is_refused_and_left_alone(bundle, make_bundle, run_ocirun,
                                                                unique_id, make_id, sd_cleanup):
    place(bundle, unique_id, args=["/bin/sleep", "600"])
    run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id, check=True)
    other = make_bundle()
    place(other, unique_id, args=["/bin/sleep", "600"])
    second = make_id()
    r = run_sd(run_ocirun, "run", "-d", "--bundle", other.path, second)
    assert r.returncode != 0
    assert "already exists" in r.stderr and scope_of(unique_id) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # the first container and its scope are untouched; no state for the second
    assert show(scope_of(unique_id), "ActiveState")["ActiveState"] == "active"
    assert "running" in run_ocirun("state", unique_id, check=True).stdout
    assert run_ocirun("state", second).returncode != 0
    run_ocirun("delete", "--force", unique_id, check=True)


@pytest.mark.parametrize("path, words", [
    ("system.slice:only-two", "slice:prefix:name"),
    ("system.slice:p:", "name part is empty"),
    ("system.slice:p:a/b", "not allowed"),
    ("system.slice:p:..x", "`..`"),
    ("bad--name.slice:p:n", "dash"),
    ("no-suffix:p:n", "does not end in `.slice`"),
    ("system.slice:p:" + "x" * 300, "longer than"),
], ids=["two-parts", "empty-name", "slash", "dotdot", "double-dash", "no-slice-suffix", "long"])
def test_bad_cgroups_path_is_refused_before_anything(bundle, run_ocirun, unique_id, path,
                                                     words):
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.write()
    r = run_sd(run_ocirun, "run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0 and words in r.stderr, r.stderr
    assert "linux.cgroupsPath" in r.stderr or "unit name" in r.stderr, r.stderr
    assert run_ocirun("state", unique_id).returncode != 0
    after = sh("systemctl", "list-units", "--all", "--plain", "--no-legend", "*.scope").stdout
    assert unique_id not in after, after


def test_cgroupfs_manager_refuses_the_systemd_form(bundle, run_ocirun, unique_id):
    place(bundle, unique_id)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0 and "--systemd-cgroup" in r.stderr, r.stderr


def test_features_report_systemd(run_ocirun):
    feats = json.loads(run_ocirun("features", check=True).stdout)
    cg = feats["linux"]["cgroup"]
    assert cg["systemd"] is True and cg["systemdUser"] is True, cg
