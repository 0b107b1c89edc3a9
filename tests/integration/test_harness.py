"""Tests of the test harness itself: the ocitest helper, the bundle fixture,
the --root teardown and the leak guard.  They run on the host and do not
need a working ocirun."""

import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import _teardown_root
from ocitestlib import leaks, procs, runner
from ocitestlib.bundle import APPLETS, default_config
from ocitestlib.runner import json_from

SECTIONS = ["ids", "caps", "fds", "cwd", "mounts", "hostname", "domainname", "rlimits",
            "env", "nnp", "oom", "ns", "proc", "cgroup"]


def ocitest(binary, *args, **kw):
    kw.setdefault("timeout", 20)
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, **kw)


def ocitest_json(binary, *args, expect_rc=0, **kw):
    r = ocitest(binary, *args, **kw)
    assert r.returncode == expect_rc, (r.returncode, r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    return json.loads(lines[0])


# ---- ocitest: report sections -------------------------------------------------

@pytest.mark.parametrize("section", SECTIONS + ["all"])
def test_every_section_prints_one_json_object(ocitest_bin, section):
    data = ocitest_json(ocitest_bin, section)
    assert isinstance(data, dict) and data
    if section == "all":
        assert sorted(data) == sorted(SECTIONS)


def test_ids_match_the_calling_process(ocitest_bin):
    old = os.umask(0o027)
    try:
        data = ocitest_json(ocitest_bin, "ids")
    finally:
        os.umask(old)
    assert data["uid"] == os.getuid() and data["euid"] == os.geteuid()
    assert data["gid"] == os.getgid() and data["egid"] == os.getegid()
    assert sorted(data["groups"]) == sorted(os.getgroups())
    assert data["umask"] == 0o027


def test_caps_and_nnp_match_proc_status(ocitest_bin):
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\t" in line)
    caps = ocitest_json(ocitest_bin, "caps")
    assert caps["effective"] == status["CapEff"].strip()
    assert caps["bounding"] == status["CapBnd"].strip()
    bnd = int(caps["bounding"], 16)
    assert len(caps["names"]["bounding"]) == bin(bnd).count("1")
    if bnd & 1:
        assert "CAP_CHOWN" in caps["names"]["bounding"]
    nnp = ocitest_json(ocitest_bin, "nnp")
    assert nnp["no_new_privs"] == int(status["NoNewPrivs"])
    assert nnp["seccomp"] == int(status["Seccomp"])


def test_fds_lists_inherited_fds_only(ocitest_bin, tmp_path):
    path = tmp_path / "held"
    path.write_text("x")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.set_inheritable(fd, True)
        data = ocitest_json(ocitest_bin, "fds", pass_fds=(fd,), stdin=subprocess.DEVNULL)
    finally:
        os.close(fd)
    assert data["fds"] == [0, 1, 2, fd]
    assert data["targets"][str(fd)] == str(path)


def test_cwd_env_hostname_oom_ns(ocitest_bin, tmp_path):
    assert ocitest_json(ocitest_bin, "cwd", cwd=tmp_path)["cwd"] == str(tmp_path)
    env = ocitest_json(ocitest_bin, "env", env={"A": "1", "B": "two words"})["env"]
    assert env == ["A=1", "B=two words"]
    assert ocitest_json(ocitest_bin, "hostname")["hostname"] == os.uname().nodename
    oom = int(open("/proc/self/oom_score_adj").read())
    assert ocitest_json(ocitest_bin, "oom")["oom_score_adj"] == oom
    ns = ocitest_json(ocitest_bin, "ns")["ns"]
    assert ns["mnt"] == os.readlink("/proc/self/ns/mnt")
    assert ns["pid"] == os.readlink("/proc/self/ns/pid")


def test_rlimits_and_mounts(ocitest_bin):
    data = ocitest_json(ocitest_bin, "rlimits")["rlimits"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert data["RLIMIT_NOFILE"] == {"soft": soft, "hard": hard}
    assert len(data) == 16
    mounts = ocitest_json(ocitest_bin, "mounts")["mounts"]
    by_point = {m["mount_point"]: m for m in mounts}
    assert by_point["/proc"]["fstype"] == "proc"
    assert "/" in by_point
    assert all({"options", "super_options", "source", "root"} <= set(m) for m in mounts)


# ---- ocitest: actions -------------------------------------------------------------

def test_exit_and_kill_self(ocitest_bin):
    assert ocitest(ocitest_bin, "exit", "7").returncode == 7
    assert ocitest(ocitest_bin, "exit", "0").returncode == 0
    assert ocitest(ocitest_bin, "kill-self", "TERM").returncode == -signal.SIGTERM
    assert ocitest(ocitest_bin, "kill-self", "SIGKILL").returncode == -signal.SIGKILL
    assert ocitest(ocitest_bin, "kill-self", "9").returncode == -signal.SIGKILL


@pytest.mark.parametrize("args", [[], ["nosuch"], ["exit"], ["exit", "x"], ["sleep", "-1"],
                                  ["kill-self", "NOPE"], ["write", "/x"], ["ids", "extra"],
                                  ["fork-sleep", "2"]])
def test_usage_errors_exit_2(ocitest_bin, args):
    r = ocitest(ocitest_bin, *args)
    assert r.returncode == 2, r
    assert "usage" in r.stderr


def test_sleep_measures_time(ocitest_bin):
    start = time.monotonic()
    data = ocitest_json(ocitest_bin, "sleep", "0.3")
    assert time.monotonic() - start >= 0.3
    assert data == {"ok": True, "slept": 0.3}


def test_write_cat_stat_ls(ocitest_bin, tmp_path):
    target = tmp_path / "f.txt"
    data = ocitest_json(ocitest_bin, "write", target, 'quote " and \\ and é')
    assert data["ok"] and target.read_text() == 'quote " and \\ and é'
    assert ocitest_json(ocitest_bin, "cat", target)["content"] == 'quote " and \\ and é'
    st = ocitest_json(ocitest_bin, "stat", target)
    assert st["type"] == "file" and st["mode"] == stat.S_IMODE(os.stat(target).st_mode)
    dev = ocitest_json(ocitest_bin, "stat", "/dev/null")
    assert (dev["type"], dev["major"], dev["minor"]) == ("char", 1, 3)
    os.symlink("f.txt", tmp_path / "link")
    link = ocitest_json(ocitest_bin, "stat", tmp_path / "link")
    assert link["type"] == "symlink" and link["target"] == "f.txt"
    assert ocitest_json(ocitest_bin, "ls", tmp_path)["entries"] == ["f.txt", "link"]


def test_cat_of_binary_content_is_still_json(ocitest_bin, tmp_path):
    (tmp_path / "bin").write_bytes(b"a\x00b\xff\xfe\x01\xc3\xa9")
    data = ocitest_json(ocitest_bin, "cat", tmp_path / "bin")
    assert data["content"] == "a\x00b\xff\xfe\x01é"


def test_errors_are_json_with_errno(ocitest_bin, tmp_path):
    data = ocitest_json(ocitest_bin, "cat", tmp_path / "missing", expect_rc=1)
    assert data["ok"] is False and data["errno_name"] == "ENOENT"
    data = ocitest_json(ocitest_bin, "write", tmp_path / "no/such/dir", "x", expect_rc=1)
    assert data["op"] == "open" and data["errno_name"] == "ENOENT"


@pytest.mark.parametrize("abstract", [False, True])
def test_notify_ready_sends_ready(ocitest_bin, tmp_path, abstract):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"\0ocitest-{os.getpid()}-{time.monotonic_ns()}" if abstract else str(tmp_path / "n")
    sock.bind(name)
    sock.settimeout(5)
    try:
        env = dict(os.environ, NOTIFY_SOCKET="@" + name[1:] if abstract else name)
        data = ocitest_json(ocitest_bin, "notify-ready", env=env)
        assert data["ok"] is True
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()


def test_notify_ready_without_socket_fails(ocitest_bin):
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    data = ocitest_json(ocitest_bin, "notify-ready", env=env, expect_rc=1)
    assert data["ok"] is False


def test_pause_exits_0_on_sigterm(ocitest_bin):
    p = subprocess.Popen([str(ocitest_bin), "pause"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    assert p.poll() is None
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    assert p.returncode == 0
    assert json.loads(out)["received"] == "SIGTERM"


def test_fork_sleep_children(ocitest_bin):
    p = subprocess.Popen([str(ocitest_bin), "fork-sleep", "3", "0.5"], stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    data = json.loads(line)
    assert data["forked"] == 3 and len(data["children"]) == 3
    for child in data["children"]:
        assert procs.proc_state(child) is not None
        with open(f"/proc/{child}/stat") as f:
            assert int(f.read().rsplit(")", 1)[1].split()[1]) == p.pid
    assert p.wait(timeout=10) == 0


def test_json_from_picks_last_object():
    assert json_from('noise\n{"a": 1}\n{"b": 2}\ntrailer\n') == {"b": 2}
    assert json_from("nothing here") is None


# ---- bundle fixture ------------------------------------------------------------

def test_bundle_is_a_valid_runc_like_bundle(bundle, ocitest_bin):
    config = json.loads(bundle.config_path.read_text())
    assert config == bundle.config
    for key in ("ociVersion", "process", "root", "hostname", "mounts", "linux"):
        assert key in config
    assert config["process"]["terminal"] is False
    assert config["process"]["args"] == ["/bin/true"]
    assert config["root"] == {"path": "rootfs", "readonly": True}
    assert [m["destination"] for m in config["mounts"]][:2] == ["/proc", "/dev"]
    assert {"pid", "mount", "network", "ipc", "uts"} == set(bundle.namespaces())
    rootfs = bundle.rootfs
    assert os.access(rootfs / "bin/busybox", os.X_OK)
    assert (rootfs / "bin/ocitest").read_bytes() == ocitest_bin.read_bytes()
    assert not os.path.samefile(rootfs / "bin/busybox", "/bin/busybox")
    for applet in APPLETS:
        assert os.readlink(rootfs / "bin" / applet) == "busybox"
    for d in ("proc", "sys", "dev", "tmp", "etc"):
        assert (rootfs / d).is_dir()
    assert "tester:x:1000:1000" in (rootfs / "etc/passwd").read_text()
    assert "nobody:x:65534" in (rootfs / "etc/passwd").read_text()
    assert "root:x:0:" in (rootfs / "etc/group").read_text()


def test_bundle_setters_rewrite_config(bundle):
    bundle.set_args(["/bin/ocitest", "ids"])
    assert json.loads(bundle.config_path.read_text())["process"]["args"] == ["/bin/ocitest",
                                                                            "ids"]
    bundle.set_env("FOO", "bar")
    bundle.config["hostname"] = "changed"
    bundle.write()
    config = json.loads(bundle.config_path.read_text())
    assert "FOO=bar" in config["process"]["env"] and config["hostname"] == "changed"


def test_make_bundle_gives_separate_bundles(make_bundle):
    a, b = make_bundle(), make_bundle(args=["/bin/sh", "-c", "exit 3"])
    assert a.path != b.path and a.config is not b.config
    assert json.loads(b.config_path.read_text())["process"]["args"][0] == "/bin/sh"


def test_default_config_matches_runc_spec(tmp_path):
    runc = "/usr/sbin/runc" if os.path.exists("/usr/sbin/runc") else "/usr/bin/runc"
    if not os.path.exists(runc):
        pytest.skip("runc is not installed")
    subprocess.run([runc, "spec"], cwd=tmp_path, check=True)
    spec = json.loads((tmp_path / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["/bin/true"]
    assert default_config() == spec


def test_busybox_in_rootfs_runs(bundle):
    r = subprocess.run([str(bundle.rootfs / "bin/echo"), "hi"], capture_output=True, text=True)
    assert r.stdout == "hi\n"


# ---- --root teardown ------------------------------------------------------------

def _fake_state(root, cid, pid, start):
    d = root / cid
    d.mkdir(parents=True)
    (d / "state.json").write_text(json.dumps({"ociVersion": "1.0.2", "id": cid, "pid": pid,
                                              "ocirun": {"initStartTime": start}}))


def test_root_teardown_kills_recorded_init(tmp_path, test_prefix):
    root = tmp_path / "fake-root"
    victim = subprocess.Popen(["sleep", "60"])
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        _fake_state(root, test_prefix, victim.pid, procs.start_time(victim.pid))
        # a recorded pid whose start time does not match was reused: spare it
        _fake_state(root, test_prefix + "-2", bystander.pid,
                    procs.start_time(bystander.pid) + 1)
        _teardown_root(root, None, test_prefix)
        # killed and (being our child) reaped by the teardown
        assert procs.proc_state(victim.pid) is None
        assert bystander.poll() is None
        assert not root.exists()
    finally:
        for p in (victim, bystander):
            p.kill()
            p.wait()


@pytest.mark.root
def test_root_teardown_removes_a_created_container(bundle, tmp_path, test_prefix):
    """With runc as the reference runtime: a container left in "created"
    (init blocked before exec) is deleted and its init gone after teardown."""
    runc = shutil.which("runc")
    if runc is None:
        pytest.skip("runc is not installed")
    root = tmp_path / "runc-root"
    bundle.ocitest("pause")
    runner.run(runc, ["create", "--bundle", bundle.path, test_prefix], root=root, check=True)
    state = json.loads(runner.run(runc, ["state", test_prefix], root=root, check=True).stdout)
    assert state["status"] == "created" and procs.alive(state["pid"])
    _teardown_root(root, runc, test_prefix)
    assert not procs.alive(state["pid"])
    assert not root.exists()


# ---- leak guard ---------------------------------------------------------------------

def _scope(tmp_path, prefix, strict=False):
    return leaks.Scope(test_dirs=[str(tmp_path)], id_prefix=prefix, strict=strict)


@pytest.mark.root
def test_leak_guard_detects_and_removes_a_mount(tmp_path, test_prefix):
    scope = _scope(tmp_path, test_prefix)
    target = tmp_path / "leaky"
    target.mkdir()
    before = leaks.snapshot(scope)
    subprocess.run(["mount", "-t", "tmpfs", "leak", str(target)], check=True)
    found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
    assert found.mounts == [str(target)] and "mount: " in found.describe()
    assert leaks.cleanup(found, scope) == []
    assert not leaks.find_leaks(before, leaks.snapshot(scope), scope)


@pytest.mark.root
def test_leak_guard_ignores_foreign_mounts_unless_strict(tmp_path, test_prefix):
    outside = tempfile.mkdtemp(prefix="ocirun-leakguard-")
    try:
        before = leaks.snapshot(_scope(tmp_path, test_prefix))
        subprocess.run(["mount", "-t", "tmpfs", "other", outside], check=True)
        try:
            relaxed = _scope(tmp_path, test_prefix)
            assert not leaks.find_leaks(before, leaks.snapshot(relaxed), relaxed).mounts
            strict = _scope(tmp_path, test_prefix, strict=True)
            found = leaks.find_leaks(before, leaks.snapshot(strict), strict)
            assert outside in found.mounts
        finally:
            subprocess.run(["umount", outside], check=True)
    finally:
        os.rmdir(outside)


def test_leak_guard_detects_and_kills_a_process(tmp_path, test_prefix):
    scope = _scope(tmp_path, test_prefix)
    before = leaks.snapshot(scope)
    child = subprocess.Popen(["sleep", "60"], cwd=tmp_path)
    try:
        found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
        assert list(found.pids) == [child.pid]
        assert leaks.cleanup(found, scope) == []
        assert procs.proc_state(child.pid) is None
    finally:
        child.kill()
        child.wait()


def test_leak_guard_strict_reports_but_never_kills_foreign_ocirun(tmp_path, test_prefix):
    """Strict mode notices any new process named ocirun, but one that cannot
    be tied to the test (another user's runtime) is only reported."""
    elsewhere = tempfile.mkdtemp(prefix="ocirun-leakguard-")
    fake = os.path.join(elsewhere, "ocirun")
    shutil.copy2(shutil.which("sleep"), fake)
    scope = _scope(tmp_path, test_prefix, strict=True)
    before = leaks.snapshot(scope)
    child = subprocess.Popen([fake, "60"], cwd="/")
    try:
        found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
        assert child.pid in found.pids
        remaining = leaks.cleanup(found, scope)
        assert any(f"process {child.pid}" in r and "not killed" in r for r in remaining)
        assert child.poll() is None
        relaxed = _scope(tmp_path, test_prefix)
        assert child.pid not in leaks.find_leaks(before, leaks.snapshot(relaxed), relaxed).pids
    finally:
        child.kill()
        child.wait()
        shutil.rmtree(elsewhere)


@pytest.mark.root
def test_leak_guard_detects_and_removes_a_cgroup(tmp_path, test_prefix):
    roots = [r for r in leaks.cgroup_roots() if os.access(r, os.W_OK)]
    if not roots:
        pytest.skip("no writable cgroup hierarchy")
    scope = _scope(tmp_path, test_prefix)
    before = leaks.snapshot(scope)
    path = os.path.join(roots[0], test_prefix + "-leak")
    os.mkdir(path)
    try:
        found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
        assert found.cgroups == [path]
        assert leaks.cleanup(found, scope) == []
        assert not os.path.exists(path)
    finally:
        if os.path.isdir(path):
            os.rmdir(path)


@pytest.mark.root
def test_leak_guard_never_removes_protected_cgroups(tmp_path, test_prefix, monkeypatch):
    roots = [r for r in leaks.cgroup_roots() if os.access(r, os.W_OK)]
    if not roots:
        pytest.skip("no writable cgroup hierarchy")
    assert leaks.is_protected("/sys/fs/cgroup/memory/process_api/x")
    scope = _scope(tmp_path, test_prefix)
    before = leaks.snapshot(scope)
    path = os.path.join(roots[0], test_prefix + "-protected")
    os.mkdir(path)
    try:
        monkeypatch.setattr(leaks, "PROTECTED_CGROUPS", [path])
        found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
        assert found.cgroups == [path]
        assert leaks.cleanup(found, scope) == [f"cgroup {path} is in a protected subtree; "
                                               "not removed"]
        assert os.path.isdir(path)
    finally:
        os.rmdir(path)


@pytest.mark.root
def test_leak_guard_fails_a_leaking_test(pytester):
    """End to end: a test that leaves a mount behind errors, and the mount
    is gone afterwards."""
    pytester.makeconftest(open(os.path.join(os.path.dirname(__file__), "..", "conftest.py")).read())
    pytester.makepyfile(test_leaky="""
        import subprocess

        def test_leaks(tmp_path):
            (tmp_path / "m").mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "x", str(tmp_path / "m")], check=True)
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the test leaked*", "*mount: *m*"])
    points = [m[1] for m in leaks.read_mounts()]
    assert not [p for p in points if p.startswith(str(pytester.path))]
