"""podman 4.3 (Debian 12) driving ocirun on this hybrid host (issue #7):
--memory, --pids-limit and --cpus reach the v1 files, the container sees
them through its own /sys/fs/cgroup, and the pids limit is real. The
harness is tests/lib/ocitestlib/podman.py (private --root/--runroot, an
image imported from a busybox tarball, no registry); the test skips with
the reason when podman cannot run here."""

import pytest

from cgroupops_util import is_hybrid
from ocitestlib.podman import Podman, PodmanUnavailable

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture
def podman(ocirun, test_dir, test_prefix):
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")
    try:
        pm = Podman.setup(test_dir / "podman", ocirun, f"/ocirun-test-{test_prefix}")
    except PodmanUnavailable as e:
        print(f"SKIP podman: {e}")
        pytest.skip(str(e))
    yield pm
    pm.cleanup()
    assert pm.cgroup_dirs() == [], "the cgroup parent is removed"


def test_podman_limits_seen_inside(podman):
    r = podman.run(["--memory", "64m", "--pids-limit", "33", "--cpus", "0.5"], "sh", "-c",
                   "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                   "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
                   "/sys/fs/cgroup/cpu/cpu.cfs_period_us; grep memory: /proc/self/cgroup")
    if r.returncode != 0 and "OCI" not in r.stderr and "ocirun" not in r.stderr:
        pytest.skip(f"podman cannot run a container here: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[:4] == [str(64 << 20), "33", "50000", "100000"], r.stdout
    assert f"memory:{podman.cgroup_parent}/libpod-" in lines[4], r.stdout


def test_podman_pids_limit_is_real(podman):
    # 8 pids: a few of the 20 background sleeps fit, the other forks fail
    # (ash gives up its subshell at the first failed fork); then only
    # builtins, which need no fork
    r = podman.run(["--pids-limit", "8"], "sh", "-c",
                   "(i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
                   "read c < /sys/fs/cgroup/pids/pids.current; "
                   "read m < /sys/fs/cgroup/pids/pids.max; "
                   "read e < /sys/fs/cgroup/pids/pids.events; echo $c $m $e")
    assert r.returncode == 0, r.stderr
    current, limit, _, failed = r.stdout.split()
    assert limit == "8" and int(current) <= 8, r.stdout
    assert int(failed) > 0, "forks beyond the limit failed"


def test_podman_memory_limit_is_real(podman):
    """A 64 MiB buffer in a 32 MiB container is OOM-killed (SIGKILL, 137);
    the shell (PID 1 of the container) survives and reports it."""
    r = podman.run(["--memory", "32m", "--memory-swap", "32m"], "sh", "-c",
                   "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?; "
                   "grep -w oom_kill /sys/fs/cgroup/memory/memory.oom_control")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "dd=137", r.stdout
    assert int(lines[1].split()[1]) >= 1, r.stdout
