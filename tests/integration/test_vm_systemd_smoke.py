"""The systemd flavour of the VM itself (tests/vm/run --systemd, `make
check-vm-systemd`): systemd is PID 1 on pure cgroup v2, its system bus
answers, the rootless test user's manager and bus are up, and the shared
directories are writable and were not cleaned by the boot.  Runs only there.
"""

import os
import pwd
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.systemd, pytest.mark.root]

CGROUP = Path("/sys/fs/cgroup")


def run(*args, timeout=60, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def sd_user():
    name = os.environ.get("OCIRUN_VM_SD_USER")
    assert name, "OCIRUN_VM_SD_USER is not set (tests/vm/systemd-cmd sets it)"
    return pwd.getpwnam(name)


def test_pid1_is_systemd_on_pure_cgroup_v2():
    assert Path("/proc/1/comm").read_text().strip() == "systemd"
    assert os.path.realpath("/proc/1/exe").endswith("/systemd")
    # cgroup2 itself at /sys/fs/cgroup, and no v1 hierarchy known at all
    mounts = [line.split(" - ", 1) for line in
              Path("/proc/self/mountinfo").read_text().splitlines()]
    fstypes = [right.split()[0] for left, right in mounts
               if left.split()[4] == "/sys/fs/cgroup"]
    assert fstypes == ["cgroup2"], fstypes
    for line in Path("/proc/cgroups").read_text().splitlines()[1:]:
        name, hier, _num, _enabled = line.split()
        assert hier == "0", f"{name} is bound to v1 hierarchy {hier}"
    # systemd's Default*Accounting (tests/vm/systemd-image) at the root
    enabled = set((CGROUP / "cgroup.subtree_control").read_text().split())
    assert {"cpu", "io", "memory", "pids"} <= enabled, enabled


def test_command_runs_in_a_delegated_leaf_of_its_service():
    own = Path("/proc/self/cgroup").read_text().strip()
    assert own.startswith("0::/system.slice/ocirun-vm.service/"), own
    r = run("systemctl", "show", "-p", "Delegate", "-p", "ControlGroup", "ocirun-vm.service")
    assert r.returncode == 0, r.stderr
    props = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert props["Delegate"] == "yes"
    assert props["ControlGroup"] == "/system.slice/ocirun-vm.service"
    # the service's own cgroup holds no process and hands its controllers on
    service = CGROUP / "system.slice/ocirun-vm.service"
    assert (service / "cgroup.procs").read_text() == ""
    assert {"memory", "pids"} <= set((service / "cgroup.subtree_control").read_text().split())


def test_system_manager_and_bus_answer():
    r = run("systemctl", "is-system-running")
    # Type=exec: the boot transaction is over while the command runs
    assert r.stdout.strip() in ("running", "degraded"), (r.stdout, r.stderr)
    r = run("systemctl", "show", "-p", "Version", "--value")
    assert r.returncode == 0 and r.stdout.strip().startswith("252"), (r.stdout, r.stderr)
    r = run("busctl", "--system", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus", "GetId")
    assert r.returncode == 0 and r.stdout.startswith("s "), (r.stdout, r.stderr)
    r = run("busctl", "--system", "status", "org.freedesktop.login1")
    assert r.returncode == 0 and "systemd-logind" in r.stdout, (r.stdout, r.stderr)


def test_user_manager_of_the_test_user_is_up():
    user = sd_user()
    assert user.pw_uid == 2000
    for f in ("/etc/subuid", "/etc/subgid"):
        ranges = [line.split(":") for line in Path(f).read_text().splitlines()]
        assert any(name == user.pw_name and int(count) >= 65536
                   for name, _start, count in ranges), (f, ranges)
    r = run("systemctl", "is-active", f"user@{user.pw_uid}.service")
    assert r.stdout.strip() == "active", (r.stdout, r.stderr)
    runtime = Path(f"/run/user/{user.pw_uid}")
    assert (runtime / "bus").is_socket()
    # the user's own manager answers on its bus, as the user
    env = {"PATH": os.environ["PATH"], "XDG_RUNTIME_DIR": str(runtime)}
    r = run("runuser", "-u", user.pw_name, "--", "systemctl", "--user", "show",
            "-p", "Version", "--value", env=env)
    assert r.returncode == 0 and r.stdout.strip().startswith("252"), (r.stdout, r.stderr)
    r = run("runuser", "-u", user.pw_name, "--", "busctl", "--user", "status",
            "org.freedesktop.systemd1", env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    # delegation to the user manager (tests/vm/systemd-image's drop-in)
    user_cg = CGROUP / f"user.slice/user-{user.pw_uid}.slice/user@{user.pw_uid}.service"
    assert {"cpu", "memory", "pids"} <= set((user_cg / "cgroup.controllers").read_text().split())


def fstype_of(path):
    """The file system type of the mount holding `path`."""
    best = ("", None)
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        point = left.split()[4]
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, right.split()[0])
    return best[1]


def test_shares_are_writable_and_the_canary_survived():
    canary = os.environ.get("OCIRUN_VM_CANARY")
    if not canary:
        pytest.skip("no canary planted (OCIRUN_VM_CANARY unset: run through "
                    "`make check-vm-systemd`)")
    path, token = canary.rsplit(":", 1)
    # planted on the host before the boot: systemd-tmpfiles has run since
    assert Path(path).read_text().strip() == token
    # the build directory holding it is the host's (9p), and writable
    assert fstype_of(path) == "9p"
    probe = Path(path).with_name(f"vm-systemd-probe-{os.getpid()}")
    probe.write_text("x")
    try:
        assert probe.read_text() == "x"
    finally:
        probe.unlink()
