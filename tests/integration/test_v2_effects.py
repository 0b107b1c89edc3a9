"""The effect of the cgroup v2 limits on a pure cgroup v2 host (issue #5,
"Tests (inside the VM)"): not only that the file holds the value, but that
the kernel enforces it on the container -- a memory hog is OOM-killed at
memory.max, a fork loop stops at pids.max, a quota throttles a busy loop,
cpuset pins the container, the eBPF device filter decides which device
nodes open, the init starts inside its cgroup, and delete leaves nothing.

pause/resume, events and update have their own files (test_v2_pause.py,
test_v2_events.py, test_v2_update.py). blockIO, hugetlb, rdma, unified,
cgroupns and ownership are covered by test_v2_resources.py and
test_v2_ops.py."""

import json
import os
import time

import pytest

from v2effects_util import (MiB, add_caps, cg_dir, cg_keyed, cg_path, cg_read,  # noqa: F401
                            gone, json_lines, place, procs_of, rootfs_json, script, state,
                            v2host, wait_for, wait_stopped)

pytestmark = [pytest.mark.vm, pytest.mark.root]


# ---- memory -----------------------------------------------------------------

def test_memory_hog_is_oom_killed_at_the_limit(v2host, bundle, run_ocirun, unique_id, make_id,
                                               cg_path):
    """Under a 32 MiB memory.max (no swap: swap == limit) allocating 200 MiB
    ends in SIGKILL, which `run` reports as 137; 8 MiB fits, so it is the
    limit that kills, not the machine."""
    mem = {"limit": 32 * MiB, "swap": 32 * MiB}
    place(bundle, cg_path + "/small", {"memory": mem}, args=["/bin/ocitest", "alloc", "8"])
    r = run_ocirun("run", "--bundle", bundle.path, make_id(), timeout=60)
    assert r.returncode == 0 and json_lines(r.stdout)[-1]["ok"], r.stdout + r.stderr

    place(bundle, cg_path, {"memory": mem}, args=["/bin/ocitest", "alloc", "200"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=60)
    assert r.returncode == 137, (r.returncode, r.stdout, r.stderr)
    assert not json_lines(r.stdout), "the hog never finished its allocation"
    assert not os.path.exists(cg_dir(cg_path)), "run removed the cgroup"


def test_oom_kill_counted_in_memory_events(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}},
          args=["/bin/ocitest", "alloc", "200"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_stopped(run_ocirun, unique_id)
    assert cg_read(cg_path, "memory.max") == str(32 * MiB)
    events = cg_keyed(cg_path, "memory.events")
    assert events["oom_kill"] >= 1 and events["max"] >= 1, events
    assert int(cg_read(cg_path, "memory.peak")) <= 32 * MiB
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


@pytest.mark.parametrize("memory, want", [
    # memory.swap is memory+swap (config-linux.md): swap.max = swap - limit
    ({"limit": 64 * MiB, "swap": 96 * MiB, "reservation": 16 * MiB},
     {"memory.max": str(64 * MiB), "memory.swap.max": str(32 * MiB),
      "memory.low": str(16 * MiB)}),
    # swap == limit: no swap at all (runc writes 0, not nothing)
    ({"limit": 64 * MiB, "swap": 64 * MiB}, {"memory.max": str(64 * MiB), "memory.swap.max": "0"}),
    ({"limit": 64 * MiB, "swap": -1}, {"memory.max": str(64 * MiB), "memory.swap.max": "max"}),
    ({"limit": -1}, {"memory.max": "max"}),
], ids=["swap-above-limit", "swap-equals-limit", "swap-unlimited", "unlimited"])
def test_memory_files(v2host, bundle, run_ocirun, unique_id, cg_path, memory, want):
    place(bundle, cg_path, {"memory": memory}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    got = {f: cg_read(cg_path, f) for f in want}
    assert got == want
    run_ocirun("delete", "--force", unique_id, check=True)


def test_memory_swap_below_limit_refused(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"memory": {"limit": 64 * MiB, "swap": 32 * MiB}})
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0 and "memory.swap" in r.stderr, r.stderr
    assert not os.path.exists(cg_dir(cg_path)), "a refused config leaves no cgroup"


# ---- pids -------------------------------------------------------------------

def test_fork_loop_stops_at_pids_max(v2host, bundle, run_ocirun, unique_id, cg_path):
    """pids.max 8: the init and 7 children; the 8th fork fails with EAGAIN
    and pids.current never goes above the limit."""
    place(bundle, cg_path, {"pids": {"limit": 8}}, writable=True,
          args=script("exec /bin/ocitest fork-sleep 40 600 > /tmp/forks"))
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: rootfs_json(bundle, "forks")), "the fork loop reported"
    (res,) = rootfs_json(bundle, "forks")
    assert res["ok"] is False and res["errno_name"] == "EAGAIN", res
    assert res["forked"] == 7, res
    assert int(cg_read(cg_path, "pids.current")) == 8
    assert cg_read(cg_path, "pids.max") == "8"
    assert len(procs_of(cg_path)) == 8
    assert cg_keyed(cg_path, "pids.events")["max"] >= 1
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


# ---- cpu ----------------------------------------------------------------------

@pytest.mark.parametrize("shares, weight", [(2, 1), (512, 59), (1024, 100), (262144, 10000)])
def test_cpu_shares_to_weight(v2host, bundle, run_ocirun, unique_id, cg_path, shares, weight):
    """The conversion crun >= 1.23 and runc >= 1.3 use: a quadratic in
    log2(shares) that maps 2, 1024 and 262144 to exactly 1, 100 (the
    kernel's default, as 1024 is v1's) and 10000."""
    place(bundle, cg_path, {"cpu": {"shares": shares}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "cpu.weight") == str(weight)
    run_ocirun("delete", "--force", unique_id, check=True)


def test_cpu_quota_throttles_a_busy_loop(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"cpu": {"quota": 10000, "period": 100000}},
          args=["/bin/sh", "-c", "while :; do :; done"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "cpu.max") == "10000 100000"
    assert wait_for(lambda: cg_keyed(cg_path, "cpu.stat")["nr_throttled"] >= 2), \
        cg_read(cg_path, "cpu.stat")
    stat = cg_keyed(cg_path, "cpu.stat")
    assert stat["throttled_usec"] > 0 and stat["nr_periods"] >= stat["nr_throttled"]
    # 10 ms per 100 ms period: over 2 s about 0.2 s of CPU (generous margin
    # for the period boundaries), where an unthrottled loop would take ~2 s
    t0, u0 = time.monotonic(), stat["usage_usec"]
    time.sleep(2)
    used = cg_keyed(cg_path, "cpu.stat")["usage_usec"] - u0
    wall = (time.monotonic() - t0) * 1e6
    assert 0 < used <= 0.25 * wall, (used, wall)
    run_ocirun("delete", "--force", unique_id, check=True)


def test_cpu_quota_without_period(v2host, bundle, run_ocirun, unique_id, cg_path):
    """A quota alone keeps the kernel's default period (100000)."""
    place(bundle, cg_path, {"cpu": {"quota": 50000}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "cpu.max") == "50000 100000"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_cpuset_pins_the_container(v2host, bundle, run_ocirun, unique_id, cg_path):
    cpu = str(os.cpu_count() - 1)
    place(bundle, cg_path, {"cpu": {"cpus": cpu, "mems": "0"}},
          args=["/bin/ocitest", "cat", "/proc/self/status"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "cpuset.cpus") == cpu
    assert cg_read(cg_path, "cpuset.mems") == "0"
    assert cg_read(cg_path, "cpuset.cpus.effective") == cpu
    run_ocirun("delete", unique_id, check=True)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
    status = json_lines(r.stdout)[-1]["content"]
    allowed = [line.split(":", 1)[1].strip() for line in status.splitlines()
               if line.startswith("Cpus_allowed_list:")]
    mems = [line.split(":", 1)[1].strip() for line in status.splitlines()
            if line.startswith("Mems_allowed_list:")]
    assert allowed == [cpu] and mems == ["0"], status


def test_bad_cpuset_refused(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"cpu": {"cpus": "4095"}})
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0 and "cpuset.cpus" in r.stderr, r.stderr
    assert not os.path.exists(cg_dir(cg_path))


# ---- devices (eBPF) -------------------------------------------------------------

# /dev/kmsg: built into every kernel and not in runc's default list. Its
# driver lets a CAP_SYSLOG holder open it for reading and anyone for
# writing, so an EPERM can only come from the device filter.
KMSG = {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666,
        "uid": 0, "gid": 0}


def kmsg_rule(access, allow=True, minor=11):
    rule = {"allow": allow, "type": "c", "major": 1, "access": access}
    if minor is not None:
        rule["minor"] = minor
    return rule


def opens(bundle, run_ocirun, cid, checks, rules=(), devices=(KMSG,), caps=()):
    """Runs one container (with CAP_SYSLOG, for /dev/kmsg) that tries each
    (path, mode) and returns the errno names (or "ok") in order."""
    cmds = []
    for path, mode in checks:
        if mode == "mknod":
            cmds.append(f"/bin/ocitest mknod {path} c 1 11")
        else:
            cmds.append(f"/bin/ocitest open {path} {mode}")
    res = {"devices": [{"allow": False, "access": "rwm"}, *rules]}
    place(bundle, "/ocirun-test-" + cid, args=script(*cmds), devices=list(devices))
    bundle.config["linux"]["resources"] = res
    add_caps(bundle, "CAP_SYSLOG", *caps)
    r = run_ocirun("run", "--bundle", bundle.path, cid, timeout=60)
    got = json_lines(r.stdout)
    assert len(got) == len(checks), (r.returncode, r.stdout, r.stderr)
    return ["ok" if g["ok"] else g["errno_name"] for g in got]


def test_default_devices_open(v2host, bundle, run_ocirun, unique_id):
    """runc's default allow list: null, zero, full, random, urandom rw."""
    checks = [(f"/dev/{d}", "rw") for d in ("null", "zero", "full", "random", "urandom")]
    assert opens(bundle, run_ocirun, unique_id, checks) == ["ok"] * 5


def test_device_node_not_allowed_cannot_be_opened(v2host, bundle, run_ocirun, unique_id):
    """In linux.devices (so the node exists) but not in resources.devices."""
    got = opens(bundle, run_ocirun, unique_id,
                [("/dev/kmsg", "r"), ("/dev/kmsg", "w"), ("/dev/kmsg", "rw"),
                 ("/dev/null", "rw")])
    assert got == ["EPERM", "EPERM", "EPERM", "ok"]


def test_device_allowed_by_rule_opens(v2host, bundle, run_ocirun, unique_id):
    got = opens(bundle, run_ocirun, unique_id,
                [("/dev/kmsg", "r"), ("/dev/kmsg", "w"), ("/dev/kmsg", "rw")],
                rules=[kmsg_rule("rwm")])
    assert got == ["ok", "ok", "ok"]


def test_device_write_denied_read_allowed(v2host, bundle, run_ocirun, unique_id):
    """allow rwm, then deny w: the last matching rule decides per access."""
    got = opens(bundle, run_ocirun, unique_id,
                [("/dev/kmsg", "r"), ("/dev/kmsg", "w"), ("/dev/kmsg", "rw")],
                rules=[kmsg_rule("rwm"), kmsg_rule("w", allow=False)])
    assert got == ["ok", "EPERM", "EPERM"]


def test_device_read_only_rule(v2host, bundle, run_ocirun, unique_id):
    got = opens(bundle, run_ocirun, unique_id,
                [("/dev/kmsg", "r"), ("/dev/kmsg", "w"), ("/dev/kmsg", "rw")],
                rules=[kmsg_rule("r")])
    assert got == ["ok", "EPERM", "EPERM"]


def test_device_deny_after_allow_all(v2host, bundle, run_ocirun, unique_id):
    """allow a *:* rwm, then deny this one node: only it is refused."""
    got = opens(bundle, run_ocirun, unique_id,
                [("/dev/kmsg", "w"), ("/dev/null", "rw")],
                rules=[{"allow": True, "access": "rwm"}, kmsg_rule("rwm", allow=False)])
    assert got == ["EPERM", "ok"]


def test_device_wildcard_minor(v2host, bundle, run_ocirun, unique_id):
    """A rule without a minor covers every minor of the major."""
    got = opens(bundle, run_ocirun, unique_id, [("/dev/kmsg", "rw")],
                rules=[kmsg_rule("rw", minor=None)])
    assert got == ["ok"]


def test_device_without_driver(v2host, bundle, run_ocirun, unique_id):
    """A node with no driver behind it: ENXIO when the filter lets the open
    through, EPERM when it does not."""
    node = {"path": "/dev/nodrv", "type": "c", "major": 240, "minor": 7, "fileMode": 0o666}
    got = opens(bundle, run_ocirun, unique_id, [("/dev/nodrv", "r")], devices=[node])
    assert got == ["EPERM"]
    got = opens(bundle, run_ocirun, unique_id + "-b", [("/dev/nodrv", "r")], devices=[node],
                rules=[{"allow": True, "type": "c", "major": 240, "minor": 7, "access": "r"}])
    assert got == ["ENXIO"]


def test_mknod_allowed_by_default_rules(v2host, bundle, run_ocirun, unique_id):
    """runc's default list ends with `c *:* m` and `b *:* m`, after the
    config's rules, so with CAP_MKNOD any node can be made -- even one a
    config rule denies `m` for, as with runc -- but opening it still needs
    a rule."""
    got = opens(bundle, run_ocirun, unique_id, [("/dev/newkmsg", "mknod"), ("/dev/newkmsg", "w")],
                caps=["CAP_MKNOD"], rules=[kmsg_rule("m", allow=False)])
    assert got == ["ok", "EPERM"]


# ---- placement and teardown -------------------------------------------------------

def test_init_starts_inside_its_cgroup(v2host, bundle, run_ocirun, unique_id, cg_path):
    """CLONE_INTO_CGROUP: the init is in the cgroup before `start`, and the
    first program it execs sees the cgroup as its own."""
    place(bundle, cg_path, {"pids": {"limit": 10}},
          args=["/bin/ocitest", "cat", "/proc/1/cgroup"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    pid = state(run_ocirun, unique_id)["pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        assert f.read() == f"0::{cg_path}\n"
    assert procs_of(cg_path) == [pid]
    run_ocirun("delete", unique_id, check=True)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
    assert json_lines(r.stdout)[-1]["content"] == f"0::{cg_path}\n"


def test_delete_removes_cgroup_and_made_parents(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path + "/a/b", {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}},
          args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    leaf = cg_dir(cg_path + "/a/b")
    assert os.path.isdir(leaf)
    # the controllers were enabled down the made parents
    for parent in (cg_path, cg_path + "/a"):
        assert {"memory", "pids"} <= set(cg_read(parent, "cgroup.subtree_control").split())
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path)), "leaf and the parents ocirun made are gone"


def test_delete_keeps_existing_parent(v2host, bundle, run_ocirun, unique_id, cg_path):
    os.mkdir(cg_dir(cg_path))
    try:
        place(bundle, cg_path + "/c", {"pids": {"limit": 20}}, args=["/bin/sleep", "600"])
        run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
        run_ocirun("delete", "--force", unique_id, check=True)
        assert not os.path.exists(cg_dir(cg_path + "/c"))
        assert os.path.isdir(cg_dir(cg_path)), "a parent ocirun did not make stays"
    finally:
        if os.path.isdir(cg_dir(cg_path + "/c")):
            run_ocirun("delete", "--force", unique_id)
        os.rmdir(cg_dir(cg_path))


def test_ps_and_kill_all(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, args=["/bin/ocitest", "fork-sleep", "3", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: len(procs_of(cg_path)) == 4)
    r = run_ocirun("ps", "--format", "json", unique_id, check=True)
    assert sorted(json.loads(r.stdout)) == procs_of(cg_path)
    r = run_ocirun("ps", unique_id, check=True)
    assert r.stdout.splitlines()[0].split()[:2] == ["UID", "PID"], r.stdout
    assert len(r.stdout.splitlines()) == 5, r.stdout
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: procs_of(cg_path) == []), "every process is gone"
    assert wait_stopped(run_ocirun, unique_id)
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


def test_delete_force_kills_every_process(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, args=["/bin/ocitest", "fork-sleep", "5", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: len(procs_of(cg_path)) == 6)
    pids = procs_of(cg_path)
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))
    assert wait_for(lambda: all(gone(p) for p in pids), 5), pids
