"""update of a running container on a pure cgroup v2 host (issue #5): runc's
flags and `-r -` (a LinuxResources JSON on stdin, as containerd sends)
change memory.max, memory.low, memory.swap.max, pids.max, cpu.max,
cpu.weight and cpuset -- and the kernel enforces the new values at once:
a lower pids.max refuses forks, a lower memory.max OOM-kills the process
that holds more, a wider cpuset lets the container run on more CPUs."""

import json
import os

import pytest

from v2effects_util import (MiB, cg_keyed, cg_path, cg_read, place, procs_of,  # noqa: F401
                            rootfs_json, v2host, wait_for, wait_stopped)

pytestmark = [pytest.mark.vm, pytest.mark.root]


@pytest.fixture
def running(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 100}},
          args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    yield unique_id
    run_ocirun("delete", "--force", unique_id)


def files(cg_path, *names):
    return {n: cg_read(cg_path, n) for n in names}


def test_update_flags(running, run_ocirun, cg_path):
    last = str(os.cpu_count() - 1)
    run_ocirun("update", "--memory", "100m", "--memory-reservation", "50M",
               "--memory-swap", "150m", "--pids-limit", "33", "--cpu-share", "512",
               "--cpu-period", "50000", "--cpu-quota", "25000", "--cpuset-cpus", last,
               "--cpuset-mems", "0", running, check=True)
    assert files(cg_path, "memory.max", "memory.low", "memory.swap.max", "pids.max",
                 "cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems") == {
        "memory.max": str(100 * MiB), "memory.low": str(50 * MiB),
        "memory.swap.max": str(50 * MiB), "pids.max": "33", "cpu.weight": "59",
        "cpu.max": "25000 50000", "cpuset.cpus": last, "cpuset.mems": "0"}
    r = run_ocirun("state", running, check=True)
    assert json.loads(r.stdout)["status"] == "running"
    # back to unlimited
    run_ocirun("update", "--memory", "-1", "--memory-swap", "-1", "--pids-limit", "-1",
               "--cpu-quota", "-1", running, check=True)
    assert files(cg_path, "memory.max", "memory.swap.max", "pids.max", "cpu.max") == {
        "memory.max": "max", "memory.swap.max": "max", "pids.max": "max",
        "cpu.max": "max 50000"}


def test_update_resources_from_stdin(running, run_ocirun, cg_path):
    res = {"memory": {"limit": 80 * MiB, "reservation": 8 * MiB},
           "pids": {"limit": 44},
           "cpu": {"quota": 30000, "period": 60000, "shares": 2, "cpus": "0", "mems": "0"}}
    # with -r the flags are ignored, as in runc
    run_ocirun("update", "-r", "-", "--pids-limit", "7", running, input=json.dumps(res),
               check=True)
    assert files(cg_path, "memory.max", "memory.low", "pids.max", "cpu.max", "cpu.weight",
                 "cpuset.cpus") == {
        "memory.max": str(80 * MiB), "memory.low": str(8 * MiB), "pids.max": "44",
        "cpu.max": "30000 60000", "cpu.weight": "1", "cpuset.cpus": "0"}
    r = run_ocirun("update", "-r", "-", running, input='{"pids": {"limit": "many"}}')
    assert r.returncode == 1 and "pids.limit" in r.stderr, r.stderr
    assert cg_read(cg_path, "pids.max") == "44", "a refused update changes nothing"


def test_update_devices_ignored(v2host, bundle, run_ocirun, unique_id, cg_path):
    """Device rules are not touched by update (runc keeps the created ones):
    an allow-all in -r does not open a node the container was denied
    (/dev/kmsg: anyone may open it for writing when the filter allows)."""
    place(bundle, cg_path, args=["/bin/sleep", "600"],
          devices=[{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11,
                    "fileMode": 0o666, "uid": 0, "gid": 0}])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    res = {"devices": [{"allow": True, "access": "rwm"}], "pids": {"limit": 55}}
    run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res), check=True)
    assert cg_read(cg_path, "pids.max") == "55"
    r = run_ocirun("exec", unique_id, "/bin/ocitest", "open", "/dev/kmsg", "w")
    assert json.loads(r.stdout.splitlines()[-1])["errno_name"] == "EPERM", r.stdout + r.stderr
    run_ocirun("exec", unique_id, "/bin/ocitest", "open", "/dev/null", "rw", check=True)
    run_ocirun("delete", "--force", unique_id, check=True)


def test_lower_pids_limit_refuses_forks(v2host, bundle, run_ocirun, unique_id, cg_path):
    """The init (sleep) is one pid; exec'd processes and their forks count
    against the limit in force at that moment."""
    place(bundle, cg_path, {"pids": {"limit": 100}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_keyed(cg_path, "pids.events")["max"] == 0
    run_ocirun("update", "--pids-limit", "1", unique_id, check=True)
    assert cg_read(cg_path, "pids.max") == "1"
    r = run_ocirun("exec", unique_id, "/bin/true", timeout=30)
    assert r.returncode != 0, "no pid left for the exec'd process"
    assert cg_keyed(cg_path, "pids.events")["max"] >= 1

    run_ocirun("update", "--pids-limit", "3", unique_id, check=True)
    r = run_ocirun("exec", unique_id, "/bin/ocitest", "fork-sleep", "5", "0", timeout=30)
    res = json.loads(r.stdout.splitlines()[-1])
    # sleep + ocitest + 1 child = 3
    assert res["forked"] == 1 and res["errno_name"] == "EAGAIN", res

    run_ocirun("update", "--pids-limit", "10", unique_id, check=True)
    r = run_ocirun("exec", unique_id, "/bin/ocitest", "fork-sleep", "5", "0", check=True,
                   timeout=30)
    assert json.loads(r.stdout.splitlines()[-1])["forked"] == 5
    assert status_running(run_ocirun, unique_id)
    run_ocirun("delete", "--force", unique_id, check=True)


def status_running(run_ocirun, cid):
    return json.loads(run_ocirun("state", cid, check=True).stdout)["status"] == "running"


def test_lower_memory_limit_oom_kills(v2host, bundle, run_ocirun, unique_id, cg_path):
    """The container holds 48 MiB under a 128 MiB limit; lowering memory.max
    to 16 MiB (no swap) makes the kernel OOM-kill it."""
    place(bundle, cg_path, {"memory": {"limit": 128 * MiB, "swap": 128 * MiB}}, writable=True,
          args=["/bin/sh", "-c", "exec /bin/ocitest alloc 48 600 > /tmp/alloc"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: rootfs_json(bundle, "alloc"), 30), "the memory is held"
    assert int(cg_read(cg_path, "memory.current")) >= 48 * MiB
    assert cg_keyed(cg_path, "memory.events")["oom_kill"] == 0
    run_ocirun("update", "--memory", "16m", "--memory-swap", "16m", unique_id)
    assert wait_stopped(run_ocirun, unique_id), "the holder was killed"
    assert cg_keyed(cg_path, "memory.events")["oom_kill"] >= 1
    assert cg_read(cg_path, "memory.max") == str(16 * MiB)
    run_ocirun("delete", unique_id, check=True)


def test_update_cpuset_moves_the_container(v2host, bundle, run_ocirun, unique_id, cg_path):
    if os.cpu_count() < 2:
        pytest.skip("needs 2 CPUs")
    place(bundle, cg_path, {"cpu": {"cpus": "0"}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    (pid,) = procs_of(cg_path)

    def allowed():
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    return line.split(":", 1)[1].strip()

    assert allowed() == "0"
    run_ocirun("update", "--cpuset-cpus", "1", unique_id, check=True)
    assert cg_read(cg_path, "cpuset.cpus.effective") == "1"
    assert allowed() == "1"
    run_ocirun("update", "--cpuset-cpus", "0-1", unique_id, check=True)
    assert allowed() == "0-1"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_update_checks_before_writing(running, run_ocirun, cg_path):
    r = run_ocirun("update", "--memory", "64m", "--memory-swap", "32m", running)
    assert r.returncode == 1 and "memory.swap" in r.stderr, r.stderr
    assert cg_read(cg_path, "memory.max") == str(64 * MiB), "nothing changed"
    r = run_ocirun("update", "--cpuset-cpus", "4095", running)
    assert r.returncode == 1 and "cpuset.cpus" in r.stderr, r.stderr
