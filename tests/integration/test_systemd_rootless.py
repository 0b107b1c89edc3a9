"""The systemd cgroup driver for an unprivileged user (issue #6), inside
the systemd VM: the VM's test user ($OCIRUN_VM_SD_USER, lingering, with its
own systemd --user manager and bus) runs ocirun from a unit of its own
manager (systemd-run --user), as a user session would; the container gets
a transient scope in the user's user.slice, with real limits (systemd's
delegation to user@.service), update changes both the unit and the files,
exec lands in the scope, and delete leaves no unit."""

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ocitestlib.bundle import Bundle
from v2effects_util import MiB, wait_for

pytestmark = [pytest.mark.systemd, pytest.mark.root]

CGROUP = Path("/sys/fs/cgroup")


@pytest.fixture
def sd_user():
    name = os.environ.get("OCIRUN_VM_SD_USER")
    if not name:
        pytest.skip("OCIRUN_VM_SD_USER is not set (the systemd VM's test user: "
                    "run through `make check-vm-systemd`)")
    return pwd.getpwnam(name)


@pytest.fixture
def as_user(sd_user, ocirun):
    """Runs a command as the user, inside a transient service of its own
    systemd manager, so its processes live in the user's delegated tree."""
    env = {"PATH": os.environ["PATH"], "XDG_RUNTIME_DIR": f"/run/user/{sd_user.pw_uid}"}

    def run(*args, timeout=90):
        # files, not pipes: a detached container keeps its stdio open
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            r = subprocess.run(
                ["runuser", "-u", sd_user.pw_name, "--", "systemd-run", "--user", "--wait",
                 "--pipe", "--quiet", "--collect", "--", *[str(a) for a in args]],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True, timeout=timeout,
                env=env)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(r.args, r.returncode, out.read(), err.read())

    return run


@pytest.fixture
def user_bundle(sd_user, ocirun, ocitest_bin):
    top = tempfile.mkdtemp(prefix="ocirun-sd-", dir="/tmp")
    os.chmod(top, 0o755)
    b = Bundle(Path(top) / "bundle", ocitest_bin)
    (b.path / "config.json").unlink()
    spec = subprocess.run([str(ocirun), "spec", "--rootless", "--bundle", str(b.path)],
                          capture_output=True, text=True, timeout=30)
    assert spec.returncode == 0, spec.stderr
    rootless = json.loads((b.path / "config.json").read_text())
    rootless["process"]["args"] = ["/bin/sleep", "600"]
    rootless["process"]["terminal"] = False
    for key in ("uidMappings", "gidMappings"):
        for m in rootless["linux"][key]:
            m["hostID"] = sd_user.pw_uid if key == "uidMappings" else sd_user.pw_gid
    b.config = rootless
    b.write()
    yield b
    shutil.rmtree(top, ignore_errors=True)


def user_show(as_user, unit, *props):
    r = as_user("systemctl", "--user", "show", *[f"-p{p}" for p in props], unit)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def test_rootless_scope_in_the_user_manager(sd_user, as_user, user_bundle, ocirun, unique_id):
    cid = unique_id
    unit = f"ocirun-test-{cid}.scope"
    user_bundle.config["linux"]["cgroupsPath"] = f":ocirun-test:{cid}"
    user_bundle.config["linux"]["resources"] = {"memory": {"limit": 64 * MiB},
                                                "pids": {"limit": 32}}
    user_bundle.write()
    try:
        r = as_user(ocirun, "--systemd-cgroup", "run", "-d", "--bundle", user_bundle.path, cid)
        assert r.returncode == 0, r.stdout + r.stderr
        p = user_show(as_user, unit, "ActiveState", "Slice", "Delegate", "ControlGroup",
                      "MemoryMax", "TasksMax")
        uid = sd_user.pw_uid
        want_cg = f"/user.slice/user-{uid}.slice/user@{uid}.service/user.slice/{unit}"
        assert p == {"ActiveState": "active", "Slice": "user.slice", "Delegate": "yes",
                     "ControlGroup": want_cg, "MemoryMax": str(64 * MiB), "TasksMax": "32"}, p
        d = CGROUP / want_cg.lstrip("/")
        assert (d / "memory.max").read_text().strip() == str(64 * MiB)
        assert (d / "pids.max").read_text().strip() == "32"

        r = as_user(ocirun, "exec", cid, "/bin/cat", "/proc/self/cgroup")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"0::{want_cg}", r.stdout

        r = as_user(ocirun, "update", "--pids-limit", "40", cid)
        assert r.returncode == 0, r.stderr
        assert user_show(as_user, unit, "TasksMax")["TasksMax"] == "40"
        assert (d / "pids.max").read_text().strip() == "40"

        r = as_user(ocirun, "delete", "--force", cid)
        assert r.returncode == 0, r.stderr
        assert wait_for(lambda: user_show(as_user, unit, "LoadState")["LoadState"] == "not-found")
        assert not d.exists()
    finally:
        as_user(ocirun, "delete", "--force", cid)
        as_user("systemctl", "--user", "stop", unit)
        as_user("systemctl", "--user", "reset-failed", unit)
