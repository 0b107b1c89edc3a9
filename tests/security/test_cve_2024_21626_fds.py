"""CVE-2024-21626 (runc "Leaky Vessels") and CVE-2016-9962: a file
descriptor of the host leaks into the container, either through the
working directory (process.cwd or `exec --cwd` = /proc/self/fd/N, which
runc's leaked cgroup fd turned into a host cwd) or because it is still open
when the workload starts (fds inherited from the caller, the init's own fds
reachable through /proc/<init>/fd)."""

import json
import os
import stat
import subprocess

import pytest

from conftest import json_from
from hostguard import HostGuard

pytestmark = pytest.mark.root


def host_dir_fds(test_dir, n):
    """n O_RDONLY fds of a host directory, inheritable (not CLOEXEC)."""
    d = test_dir / "host-secret"
    d.mkdir(exist_ok=True)
    (d / "secret").write_text("host secret\n")
    return [os.open(d, os.O_RDONLY | os.O_DIRECTORY) for _ in range(n)]


@pytest.mark.parametrize("n", range(3, 31))
def test_process_cwd_proc_self_fd(bundle, run_ocirun, make_id, test_dir, n):
    """process.cwd = /proc/self/fd/N: the init runs chdir after pivot_root
    and after every fd of ocirun's is close-on-exec; whatever fd N is at
    that moment (the channel, exec.fifo's O_PATH...), the raw getcwd must
    start with `/`, or the start fails. The workload never gets a cwd
    outside the container, and never sees a host file."""
    guard = HostGuard(test_dir).arm()
    bundle.config["process"]["cwd"] = f"/proc/self/fd/{n}"
    bundle.set_args(["/bin/sh", "-c", "pwd; ls -a . 2>&1 | head -5; /bin/ocitest cwd"])
    r = run_ocirun("run", "--bundle", bundle.path, make_id())
    if r.returncode == 0:
        cwd = json_from(r.stdout)["cwd"]
        assert cwd.startswith("/") and "unreachable" not in r.stdout, r.stdout
    else:
        assert r.returncode == 1 and ("cwd" in r.stderr or "chdir" in r.stderr), r.stderr
    assert "secret" not in r.stdout
    guard.check()


def test_exec_cwd_proc_self_fd(bundle, run_ocirun, unique_id):
    """`exec --cwd /proc/self/fd/N`, N = 3..30: the exec child closes every
    fd it does not hand over before chdir (close_host_fds), so N is at most
    the channel; the cwd is never outside."""
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    for n in range(3, 31):
        r = run_ocirun("exec", "--cwd", f"/proc/self/fd/{n}", unique_id, "/bin/ocitest", "cwd")
        if r.returncode == 0:
            assert json_from(r.stdout)["cwd"].startswith("/") and "unreachable" not in r.stdout
        else:
            assert r.returncode == 1 and r.stderr.strip(), n


def test_exec_cwd_into_init_fds(bundle, run_ocirun, unique_id):
    """A created (not started) container: its init holds ocirun fds while it
    waits on exec.fifo. `exec --cwd /proc/1/fd/N` must not reach them: the
    init is non-dumpable, its fd directory is closed to the container."""
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    for n in range(0, 20):
        r = run_ocirun("exec", "--cwd", f"/proc/1/fd/{n}", unique_id, "/bin/ocitest", "cwd")
        if r.returncode == 0:
            assert json_from(r.stdout)["cwd"].startswith("/"), (n, r.stdout)
    # The names may be listed (the directory belongs to root), but no fd
    # can be followed: readlink and open need ptrace access to the init.
    probe = ("for f in /proc/1/fd/*; do "
             "readlink $f >/dev/null 2>&1 && echo LINK $f; "
             "ls $f/ >/dev/null 2>&1 && echo DIR $f; "
             "cat $f </dev/null >/dev/null 2>&1 && echo OPEN $f; done; echo probed")
    r = run_ocirun("exec", unique_id, "/bin/sh", "-c", probe)
    assert r.stdout.strip().endswith("probed"), r.stderr
    assert "LINK" not in r.stdout and "DIR" not in r.stdout and "OPEN" not in r.stdout, r.stdout


def test_caller_fds_are_not_inherited(bundle, ocirun, tmp_root, unique_id, test_dir):
    """The caller (a shim, a shell) passes open fds 3..10 on a host
    directory without close-on-exec. Without --preserve-fds the workload
    sees exactly 0, 1, 2, and cwd /proc/self/fd/3 is not the host dir."""
    fds = host_dir_fds(test_dir, 8)
    try:
        bundle.config["process"]["cwd"] = "/proc/self/fd/3"
        bundle.set_args(["/bin/ocitest", "fds"])
        r = subprocess.run([str(ocirun), "--root", str(tmp_root), "run", "--bundle",
                            str(bundle.path), unique_id], capture_output=True, text=True,
                           timeout=30, pass_fds=fds)
        assert r.returncode != 0 or "unreachable" not in r.stdout, r.stdout
        subprocess.run([str(ocirun), "--root", str(tmp_root), "delete", "-f", unique_id],
                       capture_output=True)
        bundle.config["process"]["cwd"] = "/"
        bundle.set_args(["/bin/ocitest", "fds"])
        r = subprocess.run([str(ocirun), "--root", str(tmp_root), "run", "--bundle",
                            str(bundle.path), unique_id], capture_output=True, text=True,
                           timeout=30, pass_fds=fds)
        assert r.returncode == 0, r.stderr
        assert json_from(r.stdout)["fds"] == [0, 1, 2]
    finally:
        for fd in fds:
            os.close(fd)


def test_preserve_fds_more_than_passed(bundle, ocirun, tmp_root, unique_id, test_dir):
    """--preserve-fds 6 with only 3 fds passed: create fails before it
    clones anything (ocirun's own fds would otherwise take the free numbers
    and be handed over as "preserved"); nothing is left behind."""
    fds = host_dir_fds(test_dir, 3)
    try:
        for cmd in (["run"], ["create"]):
            r = subprocess.run([str(ocirun), "--root", str(tmp_root), *cmd, "--preserve-fds", "6",
                                "--bundle", str(bundle.path), unique_id], capture_output=True,
                               text=True, timeout=30, pass_fds=fds)
            assert r.returncode == 1 and "preserved fd" in r.stderr, r.stderr
            assert not (tmp_root / unique_id).exists()
    finally:
        for fd in fds:
            os.close(fd)


def test_init_fd_audit(bundle, run_ocirun, unique_id, test_dir):
    """/proc/<init>/fd of a created container: every fd the init holds while
    it waits for `start` is close-on-exec (fdinfo flags), so none survives
    execve; after start the workload holds exactly 0, 1, 2."""
    bundle.set_args(["/bin/sh", "-c", "ls /proc/self/fd; sleep 1000"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
    seen = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        with open(f"/proc/{pid}/fdinfo/{fd}") as f:
            flags = int(next(line for line in f if line.startswith("flags:")).split()[1], 8)
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        seen.append((fd, target))
        assert flags & 0o2000000, f"init fd {fd} -> {target} is not close-on-exec"
    assert seen, "the init holds its channel and exec.fifo while created"
    run_ocirun("start", unique_id, check=True)
    fds = sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
    assert fds == [0, 1, 2]
    for fd in fds:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        assert not stat.S_ISDIR(os.stat(f"/proc/{pid}/fd/{fd}").st_mode), target
