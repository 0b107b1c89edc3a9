"""Rootless ocirun (issue #9): an unprivileged user runs containers.

The module creates its own user (`ocirt<hex>`, with /etc/subuid and
/etc/subgid ranges) and removes it at the end; every ocirun call runs as
that user through setpriv, with XDG_RUNTIME_DIR a 0700 directory it owns.
The bundles live under a 0711 directory so the user (and the container's
root, which is that user on the host) can reach them.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from ocitestlib import procs
from ocitestlib.bundle import Bundle
from ocitestlib.subids import RANGE, drop_ranges, ensure_range, pids_of_uids

pytestmark = pytest.mark.root

CGROUP = Path("/sys/fs/cgroup")

CGROUP_WARNING = "rootless: no writable cgroup"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"


# ---- the user -----------------------------------------------------------------

def _user_pids(uid):
    return pids_of_uids(lambda u: u == uid)


class RootlessUser:
    def __init__(self, name, uid, gid, subuid, subgid, base):
        self.name, self.uid, self.gid = name, uid, gid
        self.subuid, self.subgid = subuid, subgid
        self.base = base


@pytest.fixture(scope="module")
def ruser():
    if os.geteuid() != 0:
        pytest.skip("creating the test user needs root")
    for tool in ("useradd", "userdel", "setpriv"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found")
    name = "ocirt" + secrets.token_hex(4)
    base = Path(tempfile.mkdtemp(prefix="ocirt-"))
    os.chmod(base, 0o711)
    created = False
    try:
        subprocess.run(["useradd", "-m", "-U", "-s", "/bin/sh", name], check=True,
                       capture_output=True, timeout=30)
        created = True
        pw = subprocess.run(["id", "-u", name], check=True, capture_output=True, text=True)
        gr = subprocess.run(["id", "-g", name], check=True, capture_output=True, text=True)
        subuid = ensure_range("/etc/subuid", name)
        subgid = ensure_range("/etc/subgid", name)
        yield RootlessUser(name, int(pw.stdout), int(gr.stdout), subuid, subgid, base)
    finally:
        if created:
            uid = int(subprocess.run(["id", "-u", name], capture_output=True,
                                     text=True).stdout or -1)
            if uid > 0:
                procs.kill_pids(_user_pids(uid))
            subprocess.run(["userdel", "-r", name], capture_output=True, timeout=30)
        for path in ("/etc/subuid", "/etc/subgid"):
            drop_ranges(path, name)
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=False)


# ---- per test: a bundle, a runtime dir, and ocirun as the user ------------------

class Rootless:
    """One test's bundle and XDG_RUNTIME_DIR; run() is ocirun as the user."""

    def __init__(self, user, ocirun, ocitest_bin, test_id):
        self.user, self.ocirun = user, str(ocirun)
        self.prefix = []  # run as root before setpriv (the VM test moves cgroups)
        self.dir = user.base / test_id
        self.dir.mkdir(mode=0o711)
        os.chmod(self.dir, 0o711)
        self.xdg = self.dir / "xdg"
        self.xdg.mkdir(mode=0o700)
        os.chown(self.xdg, user.uid, user.gid)
        self.bundle = Bundle(self.dir / "bundle", ocitest_bin)
        # the user's own `ocirun spec --rootless` writes the config
        os.unlink(self.bundle.config_path)
        os.chown(self.bundle.path, user.uid, user.gid)
        r = self.run("spec", "--rootless", cwd=self.bundle.path)
        assert r.returncode == 0, r.stderr
        with open(self.bundle.config_path) as f:
            self.config = json.load(f)

    def env(self, **extra):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/",
               "XDG_RUNTIME_DIR": str(self.xdg)}
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def set_args(self, args):
        self.config["process"]["args"] = args
        self.config["process"]["terminal"] = False

    def write(self, config=None):
        config = config if config is not None else self.config
        with open(self.bundle.config_path, "w") as f:
            json.dump(config, f)

    def run(self, *args, env=None, cwd=None, timeout=30):
        """ocirun ARGS as the user; output through files (a detached init
        keeps inherited pipes open)."""
        groups = "--init-groups" if self.user.name else "--clear-groups"
        cmd = [*self.prefix, SETPRIV, f"--reuid={self.user.uid}", f"--regid={self.user.gid}",
               groups, self.ocirun, *map(str, args)]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                               env=env if env is not None else self.env(),
                               cwd=str(cwd or self.bundle.path), timeout=timeout)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, p.returncode,
                                               out.read().decode(errors="replace"),
                                               err.read().decode(errors="replace"))

    def run_ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"{args}: {r.stderr}"
        return r

    def state_dir(self):
        return self.xdg / "ocirun"

    def cleanup(self):
        if self.state_dir().is_dir():
            for cid in os.listdir(self.state_dir()):
                self.run("delete", "--force", cid, timeout=15)
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.dir)], check=False)


@pytest.fixture
def rl(ruser, ocirun, ocitest_bin, unique_id):
    r = Rootless(ruser, ocirun, ocitest_bin, unique_id)
    try:
        yield r
    finally:
        r.cleanup()


def multi_maps(user):
    return ([{"containerID": 0, "hostID": user.uid, "size": 1},
             {"containerID": 1, "hostID": user.subuid, "size": RANGE}],
            [{"containerID": 0, "hostID": user.gid, "size": 1},
             {"containerID": 1, "hostID": user.subgid, "size": RANGE}])


def need_newuidmap():
    if shutil.which("newuidmap") is None or shutil.which("newgidmap") is None:
        pytest.skip("newuidmap/newgidmap not installed (Debian package uidmap)")


def error_lines(r):
    return [line for line in r.stderr.splitlines() if line.strip()]


def map_lines(text):
    return [line.split() for line in text.strip().splitlines()]


# ---- what works -------------------------------------------------------------------

def test_spec_rootless_config_runs_as_is(rl, unique_id):
    """Only process.args changes; the user's own ids map to 0, setgroups is
    denied, one warning about the missing cgroup, state under XDG 0700."""
    rl.config["process"]["args"] = [
        "/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; "
        "id -u; id -g"]
    rl.write()
    r = rl.run_ok("run", unique_id)
    out = r.stdout.split()
    assert out[:6] == ["0", str(rl.user.uid), "1", "0", str(rl.user.gid), "1"]
    assert out[6:] == ["deny", "0", "0"]
    lines = error_lines(r)
    assert len(lines) == 1 and CGROUP_WARNING in lines[0], r.stderr
    st = os.stat(rl.state_dir())
    assert st.st_mode & 0o777 == 0o700 and st.st_uid == rl.user.uid
    assert os.listdir(rl.state_dir()) == []


def test_multi_mapping_through_newuidmap(rl, unique_id):
    need_newuidmap()
    uids, gids = multi_maps(rl.user)
    rl.config["linux"]["uidMappings"], rl.config["linux"]["gidMappings"] = uids, gids
    # uid 1000 exists only through the subuid range: it runs and owns files
    rl.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    rl.set_args([
        "/bin/sh", "-c", "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; "
        "touch /dev/shm/f && stat -c '%u %g' /dev/shm/f"])
    rl.write()
    r = rl.run_ok("--cgroup-manager", "disabled", "run", unique_id)
    uid_map, gid_map, owner = r.stdout.split("--\n")
    assert map_lines(uid_map) == [["0", str(rl.user.uid), "1"],
                                  ["1", str(rl.user.subuid), str(RANGE)]]
    assert map_lines(gid_map) == [["0", str(rl.user.gid), "1"],
                                  ["1", str(rl.user.subgid), str(RANGE)]]
    assert owner.split() == ["1000", "1000"]
    assert r.stderr.strip() == ""


def test_multi_uid_map_with_own_gid_only(rl, unique_id):
    """Mixed: the gid map is only the caller's own gid; both still go through
    the helpers, which accept the caller's own id without a subgid range."""
    need_newuidmap()
    uids, _ = multi_maps(rl.user)
    rl.config["linux"]["uidMappings"] = uids
    rl.config["process"]["user"] = {"uid": 1000, "gid": 0}
    rl.set_args(["/bin/sh", "-c", "cat /proc/self/gid_map; id -u; id -g"])
    rl.write()
    r = rl.run_ok("--cgroup-manager", "disabled", "run", unique_id)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["0", str(rl.user.gid), "1"]
    assert lines[1:] == ["1000", "0"]


def wait_status(rl, cid, want, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        r = rl.run("state", cid)
        if r.returncode == 0 and json.loads(r.stdout)["status"] == want:
            return json.loads(r.stdout)
        assert time.monotonic() < deadline, f"{cid} never became {want}: {r.stdout}{r.stderr}"
        time.sleep(0.05)


@pytest.mark.parametrize("mapping", ["single", "multi"])
def test_exec_kill_delete(rl, unique_id, mapping):
    if mapping == "multi":
        need_newuidmap()
        rl.config["linux"]["uidMappings"], rl.config["linux"]["gidMappings"] = \
            multi_maps(rl.user)
    rl.set_args(["/bin/sleep", "1000"])
    rl.write()
    rl.run_ok("create", "--bundle", rl.bundle.path, unique_id)
    state = wait_status(rl, unique_id, "created")
    pid = state["pid"]
    assert os.stat(f"/proc/{pid}").st_uid == rl.user.uid
    rl.run_ok("start", unique_id)
    wait_status(rl, unique_id, "running")
    r = rl.run_ok("exec", unique_id, "/bin/sh", "-c", "id -u; cat /proc/self/uid_map")
    lines = r.stdout.splitlines()
    assert lines[0] == "0" and lines[1].split()[:2] == ["0", str(rl.user.uid)]
    if mapping == "multi":
        r = rl.run_ok("exec", "--user", "1000:1000", unique_id, "/bin/sh", "-c", "id -u")
        assert r.stdout.strip() == "1000"
    rl.run_ok("kill", unique_id, "KILL")
    wait_status(rl, unique_id, "stopped")
    rl.run_ok("delete", unique_id)
    assert os.listdir(rl.state_dir()) == []
    assert procs.wait_gone([pid], 5) == []


def test_ps_without_a_cgroup_lists_the_init(rl, unique_id):
    """No cgroup: ps lists the init and its descendants."""
    rl.set_args(["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    rl.write()
    rl.run_ok("run", "-d", unique_id)
    pid = wait_status(rl, unique_id, "running")["pid"]
    deadline = time.monotonic() + 10
    while True:
        listed = json.loads(rl.run_ok("ps", "--format", "json", unique_id).stdout) or []
        if len(listed) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert listed[0] == pid
    assert len(listed) == 3, listed


def test_devices_are_bind_mounts_of_the_host_nodes(rl, unique_id):
    rl.set_args([
        "/bin/sh", "-c", "stat -c '%t:%T %F' /dev/null /dev/zero; echo x > /dev/null && "
        "head -c 4 /dev/zero | wc -c; grep -E ' /dev/(null|zero) ' /proc/self/mountinfo"])
    rl.write()
    r = rl.run_ok("run", unique_id)
    lines = r.stdout.splitlines()
    assert lines[0] == "1:3 character special file"
    assert lines[1] == "1:5 character special file"
    assert lines[2].strip() == "4"
    # each node is its own mount: bound from the host, not made with mknod
    mounted = {line.split()[4] for line in lines[3:]}
    assert mounted == {"/dev/null", "/dev/zero"}


def test_cgroupfs_is_read_only_without_cgroupns(rl, unique_id):
    assert "cgroup" not in [n["type"] for n in rl.config["linux"]["namespaces"]]
    rl.set_args([
        "/bin/sh", "-c", "touch /sys/fs/cgroup/x 2>&1; "
        "for d in /sys/fs/cgroup/*/; do mkdir $d/ocirt-x 2>/dev/null && echo WROTE $d; done; "
        "grep ' /sys/fs/cgroup ' /proc/self/mountinfo | tail -1"])
    rl.write()
    r = rl.run_ok("run", unique_id)
    assert "Read-only file system" in r.stdout
    assert "WROTE" not in r.stdout
    top = r.stdout.strip().splitlines()[-1]
    assert "ro" in top.split()[5].split(","), top


# ---- the errors -------------------------------------------------------------------

def test_limits_without_a_writable_cgroup_fail(rl, unique_id):
    rl.config["linux"]["resources"] = {"memory": {"limit": 64 * 1024 * 1024}}
    rl.write()
    r = rl.run("run", unique_id)
    assert r.returncode != 0
    lines = error_lines(r)
    assert len(lines) == 1, r.stderr
    assert "memory" in lines[0] and "rootless" in lines[0] and "no writable cgroup" in lines[0]
    assert os.listdir(rl.state_dir()) == []


def test_missing_newuidmap_is_a_clear_error(rl, unique_id):
    rl.config["linux"]["uidMappings"], rl.config["linux"]["gidMappings"] = multi_maps(rl.user)
    rl.write()
    empty = rl.dir / "empty-bin"
    empty.mkdir()
    r = rl.run("run", unique_id, env=rl.env(PATH=empty))
    lines = error_lines(r)
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert "newuidmap not found on PATH" in lines[0] and "uidmap" in lines[0]
    assert not rl.state_dir().exists() or os.listdir(rl.state_dir()) == []


def test_newuidmap_refusal_carries_its_message(rl, unique_id):
    need_newuidmap()
    uids, gids = multi_maps(rl.user)
    uids[1]["hostID"] = rl.user.subuid + 50 * RANGE  # not the user's range
    rl.config["linux"]["uidMappings"], rl.config["linux"]["gidMappings"] = uids, gids
    rl.write()
    r = rl.run("--cgroup-manager", "disabled", "run", unique_id)
    lines = error_lines(r)
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert "newuidmap" in lines[0] and "refused" in lines[0]
    assert "not allowed" in lines[0]  # newuidmap's own words
    assert os.listdir(rl.state_dir()) == []


def test_xdg_runtime_dir_unset(rl, unique_id):
    r = rl.run("list", env=rl.env(XDG_RUNTIME_DIR=None))
    lines = error_lines(r)
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert "XDG_RUNTIME_DIR is not set" in lines[0]
    # --root still works without it
    r = rl.run("--root", rl.xdg / "ocirun", "list", env=rl.env(XDG_RUNTIME_DIR=None))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("case", ["relative", "not-owned", "missing", "not-writable"])
def test_bad_xdg_runtime_dir(rl, unique_id, case):
    if case == "relative":
        xdg, want = "run/user", "not an absolute path"
    elif case == "not-owned":
        xdg, want = rl.dir, "is owned by uid 0, not by you"
    elif case == "missing":
        xdg, want = rl.dir / "nope", "No such file or directory"
    else:
        xdg = rl.dir / "ro"
        xdg.mkdir(mode=0o500)
        os.chown(xdg, rl.user.uid, rl.user.gid)
        want = "not writable"
    r = rl.run("run", unique_id, env=rl.env(XDG_RUNTIME_DIR=xdg))
    lines = error_lines(r)
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert "XDG_RUNTIME_DIR" in lines[0] and want in lines[0], r.stderr


# ---- inside the VM: a delegated cgroup v2 subtree gives real limits ----------------

@pytest.fixture(scope="module")
def vm_user(ocirun):
    """/etc is read-only in the VM: a bare uid with no passwd entry will do
    (single mapping, no newuidmap). The binary is copied where it can reach."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    uid = 30000 + secrets.randbelow(9000)
    base = Path(tempfile.mkdtemp(prefix="ocirt-"))
    os.chmod(base, 0o711)
    try:
        shutil.copy2(ocirun, base / "ocirun")
        os.chmod(base / "ocirun", 0o755)
        yield RootlessUser(None, uid, uid, None, None, base)
    finally:
        procs.kill_pids(_user_pids(uid))
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=False)


@pytest.fixture
def delegated(vm_user, unique_id):
    """/sys/fs/cgroup/<id>-deleg owned by the user, the way systemd delegates
    a subtree: the directory and its cgroup.procs, subtree_control, threads."""
    top = CGROUP / f"{unique_id}-deleg"
    top.mkdir()
    try:
        (top / "cgroup.subtree_control").write_text("+memory +pids")
        launcher = top / "launcher"
        launcher.mkdir()
        for p in (top, top / "cgroup.procs", top / "cgroup.subtree_control",
                  top / "cgroup.threads", launcher, launcher / "cgroup.procs"):
            os.chown(p, vm_user.uid, vm_user.gid)
        yield top
    finally:
        for d in sorted(top.rglob("*"), key=lambda p: -len(p.parts)):
            if d.is_dir():
                for pid in (d / "cgroup.procs").read_text().split():
                    procs.kill_pids([int(pid)])
                d.rmdir()
        top.rmdir()


@pytest.mark.vm
def test_delegated_v2_subtree_gets_real_limits(vm_user, ocirun, ocitest_bin, unique_id,
                                               delegated):
    r = Rootless(vm_user, vm_user.base / "ocirun", ocitest_bin, unique_id)
    try:
        # ocirun runs in the delegated launcher leaf, so the user may move
        # the init into a sibling (the common ancestor is theirs)
        r.prefix = ["/bin/sh", "-c", f"echo $$ > {delegated}/launcher/cgroup.procs && "
                    'exec "$@"', "sh"]
        r.config["linux"]["cgroupsPath"] = f"/{delegated.name}/ctr"
        r.config["linux"]["resources"] = {"memory": {"limit": 64 * 1024 * 1024},
                                          "pids": {"limit": 50}}
        r.set_args(["/bin/sh", "-c", "cat /proc/self/cgroup"])
        r.write()
        res = r.run_ok("run", unique_id)
        assert CGROUP_WARNING not in res.stderr, res.stderr
        assert res.stdout.strip().startswith("0::")
        r.set_args(["/bin/sleep", "1000"])
        r.write()
        r.run_ok("run", "-d", unique_id)
        pid = wait_status(r, unique_id, "running")["pid"]
        ctr = delegated / "ctr"
        assert (ctr / "memory.max").read_text().strip() == str(64 * 1024 * 1024)
        assert (ctr / "pids.max").read_text().strip() == "50"
        assert str(pid) in (ctr / "cgroup.procs").read_text().split()
        ps = r.run_ok("ps", "--format", "json", unique_id)
        assert pid in json.loads(ps.stdout)
        r.run_ok("pause", unique_id)
        assert wait_status(r, unique_id, "paused")
        r.run_ok("resume", unique_id)
        r.run_ok("kill", unique_id, "KILL")
        wait_status(r, unique_id, "stopped")
        r.run_ok("delete", unique_id)
        assert not ctr.exists()
    finally:
        r.cleanup()
