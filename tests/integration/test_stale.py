"""Stale state and exhaustion (issue #14), run in every build.

Stale state: the container's processes vanished behind ocirun's back (the
init killed from outside; a host "reboot", simulated by killing every
process of the container and removing its cgroups; the recorded pid reused
by an unrelated process).  `state` and `list` say stopped, a plain `delete`
cleans up (and kills nobody else), and a new container of the same id can
be created.

Exhaustion: the state root on a tiny, full tmpfs; the caller's
RLIMIT_NOFILE at 10; the container's cgroup at its pids limit.  Each gives a
clear error (exit 1, a message naming the operation and the errno text) and
leaves nothing: no state dir, cgroup, mount or process.

RLIMIT_NPROC is tested in test_exhaustion_nproc.py: the kernel never applies
it to root (nor to a caller with CAP_SYS_RESOURCE/CAP_SYS_ADMIN), so that
test runs ocirun rootless as a real unprivileged user.
"""

import json
import os
import resource
import signal
import subprocess
import time

import pytest

from cgroup_dirs_util import hierarchies, cgroup_dirs, cgroup_procs, errmsg

pytestmark = pytest.mark.root











def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def state_of(run_ocirun, cid):
    return json.loads(run_ocirun("state", cid, check=True).stdout)


def listed(run_ocirun, cid):
    rows = json.loads(run_ocirun("list", "--format", "json", check=True).stdout) or []
    return {r["id"]: r["status"] for r in rows}.get(cid)


@pytest.fixture
def cg(unique_id):
    return f"/ocirun-test-{unique_id}"


@pytest.fixture
def sleeper(bundle, cg):
    bundle.set_args(["/bin/sleep", "1000"])
    bundle.config["linux"]["cgroupsPath"] = cg
    bundle.write()
    return bundle


def check_stopped_then_cleaned(run_ocirun, tmp_root, sleeper, cid, cg):
    st = state_of(run_ocirun, cid)
    assert st["status"] == "stopped" and st["pid"] == 0, st
    assert listed(run_ocirun, cid) == "stopped"
    # kill: a stopped container is "not running", not a crash
    r = run_ocirun("kill", cid, "KILL")
    assert r.returncode == 1 and "container not running" in errmsg(r), r.stderr
    # a plain delete is enough: it is stopped
    run_ocirun("delete", cid, check=True)
    assert not os.path.lexists(tmp_root / cid)
    assert cgroup_dirs(cg) == []
    run_ocirun("run", "-d", "--bundle", sleeper.path, cid, check=True)
    assert state_of(run_ocirun, cid)["status"] == "running"
    run_ocirun("delete", "-f", cid, check=True)
    assert cgroup_dirs(cg) == []


# ---- stale state ----------------------------------------------------------------


def test_init_killed_from_outside(sleeper, run_ocirun, tmp_root, unique_id, cg):
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    pid = state_of(run_ocirun, unique_id)["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: gone(pid))
    check_stopped_then_cleaned(run_ocirun, tmp_root, sleeper, unique_id, cg)


def test_created_init_killed_from_outside(sleeper, run_ocirun, tmp_root, unique_id, cg):
    run_ocirun("create", "--bundle", sleeper.path, unique_id, check=True)
    pid = state_of(run_ocirun, unique_id)["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: gone(pid))
    r = run_ocirun("start", unique_id)
    assert r.returncode == 1, r.stderr
    check_stopped_then_cleaned(run_ocirun, tmp_root, sleeper, unique_id, cg)


def test_host_reboot_simulated(sleeper, run_ocirun, tmp_root, unique_id, cg):
    """After a reboot /run survives only on some hosts, but when it does, the
    processes and the cgroups are gone: ocirun must cope with both missing."""
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    pids = cgroup_procs(cg)
    assert pids
    for p in pids:
        os.kill(p, signal.SIGKILL)
    assert wait_for(lambda: cgroup_procs(cg) == set())
    # deepest first; every hierarchy
    for d in sorted(cgroup_dirs(cg), key=len, reverse=True):
        os.rmdir(d)
    assert cgroup_dirs(cg) == []
    check_stopped_then_cleaned(run_ocirun, tmp_root, sleeper, unique_id, cg)


def test_pid_reused_by_another_process(sleeper, run_ocirun, tmp_root, unique_id, cg, test_dir):
    """The recorded pid now names an unrelated process (after a reboot, pids
    start over): ocirun sees a different start time, says stopped and must
    not signal that process."""
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    stranger = subprocess.Popen(["sleep", "1000"])
    try:
        run_ocirun("kill", unique_id, "KILL", check=True)
        assert wait_for(lambda: cgroup_procs(cg) == set())
        path = tmp_root / unique_id / "state.json"
        st = json.loads(path.read_text())
        st["pid"] = stranger.pid  # what a reboot + pid reuse would look like
        path.write_text(json.dumps(st))
        assert state_of(run_ocirun, unique_id)["status"] == "stopped"
        run_ocirun("delete", "-f", unique_id, check=True)
        assert stranger.poll() is None, "delete -f killed an unrelated process"
        assert not os.path.lexists(tmp_root / unique_id)
        assert cgroup_dirs(cg) == []
    finally:
        stranger.kill()
        stranger.wait()


# ---- exhaustion -----------------------------------------------------------------


@pytest.fixture
def full_tmpfs(test_dir):
    mnt = test_dir / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=64", "tmpfs", str(mnt)],
                   check=True)
    try:
        (mnt / "root").mkdir(mode=0o700)
        # fill it: the next data block fails with ENOSPC
        fd = os.open(mnt / "fill", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_state_root_full(sleeper, run_ocirun, full_tmpfs, unique_id, cg):
    root = full_tmpfs / "root"
    r = run_ocirun("create", "--bundle", sleeper.path, unique_id, root=root)
    assert r.returncode == 1, r.stderr
    assert "No space left on device" in errmsg(r) and "state" in errmsg(r), errmsg(r)
    assert os.listdir(root) == [] or all(n.startswith("seccomp") for n in os.listdir(root))
    assert cgroup_dirs(cg) == []
    r = run_ocirun("state", unique_id, root=root)
    assert r.returncode == 1 and "container does not exist" in errmsg(r)
    # room again: the same id works
    os.unlink(full_tmpfs / "fill")
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, root=root, check=True)
    run_ocirun("delete", "-f", unique_id, root=root, check=True)
    assert cgroup_dirs(cg) == []


def _limit_nofile(n):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return set_limit


@pytest.mark.parametrize("command", ["create", "run"])
def test_caller_nofile_10(command, sleeper, ocirun, run_ocirun, tmp_root, unique_id, cg):
    args = [ocirun, "--root", str(tmp_root)] + (["create"] if command == "create"
                                                 else ["run", "-d"])
    r = subprocess.run(args + ["--bundle", str(sleeper.path), unique_id], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL,
                       preexec_fn=_limit_nofile(10))
    if r.returncode == 0:
        # made it within 10 fds: then it must be a real container
        assert state_of(run_ocirun, unique_id)["status"] in ("created", "running")
        run_ocirun("delete", "-f", unique_id, check=True)
    else:
        assert r.returncode == 1 and "Too many open files" in errmsg(r), r.stderr
        r2 = run_ocirun("state", unique_id)
        assert r2.returncode == 1 and "container does not exist" in errmsg(r2)
    assert not os.path.lexists(tmp_root / unique_id)
    assert cgroup_dirs(cg) == []


def test_state_and_delete_with_nofile_10(sleeper, ocirun, run_ocirun, tmp_root, unique_id, cg):
    """The commands a shim runs to clean up still work under the limit."""
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    base = [ocirun, "--root", str(tmp_root)]
    for args in (["state", unique_id], ["list"], ["kill", unique_id, "KILL"],
                 ["delete", "-f", unique_id]):
        r = subprocess.run(base + args, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, preexec_fn=_limit_nofile(10))
        assert r.returncode == 0, f"{args}: {r.stderr}"
    assert not os.path.lexists(tmp_root / unique_id)
    assert cgroup_dirs(cg) == []


def test_exec_at_pids_limit(sleeper, run_ocirun, tmp_root, unique_id, cg):
    sleeper.config["linux"].setdefault("resources", {})["pids"] = {"limit": 1}
    sleeper.write()
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    init = state_of(run_ocirun, unique_id)["pid"]
    for detach in ([], ["-d"]):
        r = run_ocirun("exec", *detach, unique_id, "/bin/sleep", "100")
        assert r.returncode == 1, r.stderr
        assert "Resource temporarily unavailable" in errmsg(r), errmsg(r)
        # the failed exec left no process behind, the container is intact
        assert cgroup_procs(cg) == {init}
        assert state_of(run_ocirun, unique_id)["status"] == "running"
    run_ocirun("delete", "-f", unique_id, check=True)
    assert cgroup_dirs(cg) == []
