"""`ocirun exec`: a new process in every namespace and the cgroup of a
running container, with runc's flags, exit codes and error messages
(checked against runc 1.1.5 on the same bundle; runc exits 255 on its own
errors, ocirun 1 like every other command)."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import json_from
from ocitestlib import procs
from test_terminal import ConsoleReceiver
from test_seccomp import allow_default, rule
from test_lifecycle import traversable_test_dir  # noqa: F401 (a fixture)

pytestmark = pytest.mark.root

NS_TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")


@pytest.fixture
def running(bundle, run_ocirun, unique_id):
    """A running container whose init sleeps; yields (id, init pid)."""
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    st = json.loads(run_ocirun("state", unique_id, check=True).stdout)
    yield unique_id, st["pid"]
    run_ocirun("delete", "--force", unique_id)


def exec_json(run_ocirun, cid, *args, flags=()):
    r = run_ocirun("exec", *flags, cid, *args)
    assert r.returncode == 0, r.stderr
    return json_from(r.stdout)


def test_output_and_exit_codes(running, run_ocirun):
    cid, _ = running
    r = run_ocirun("exec", cid, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert run_ocirun("exec", cid, "true").returncode == 0
    assert run_ocirun("exec", cid, "/bin/ocitest", "exit", "42").returncode == 42


def test_signal_exit_codes(running, run_ocirun):
    cid, _ = running
    assert run_ocirun("exec", cid, "sh", "-c", "kill -KILL $$").returncode == 128 + 9
    assert run_ocirun("exec", cid, "sh", "-c", "kill -TERM $$").returncode == 128 + 15


def test_signals_are_forwarded(running, spawn_ocirun, run_ocirun):
    cid, _ = running
    bg = spawn_ocirun("exec", cid, "/bin/sleep", "100")
    deadline = time.monotonic() + 10
    while "sleep 100" not in run_ocirun("exec", cid, "ps").stdout:
        assert time.monotonic() < deadline, "the exec'd sleep never showed up"
        time.sleep(0.05)
    os.kill(bg.pid, signal.SIGTERM)
    assert bg.wait(10).returncode == 128 + signal.SIGTERM


def test_joins_every_namespace_and_the_cgroup(bundle, run_ocirun, unique_id):
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        ns = exec_json(run_ocirun, unique_id, "/bin/ocitest", "ns")["ns"]
        for t in NS_TYPES:
            if os.path.exists(f"/proc/{pid}/ns/{t}"):
                assert ns[t] == os.readlink(f"/proc/{pid}/ns/{t}"), t
        assert ns["mnt"] != os.readlink("/proc/self/ns/mnt")
        # the container's cgroup namespace: the exec'd process sees the
        # same cgroup paths as the init does
        init_view = run_ocirun("exec", unique_id, "cat", "/proc/1/cgroup", check=True).stdout
        own_view = run_ocirun("exec", unique_id, "cat", "/proc/self/cgroup", check=True).stdout
        assert own_view == init_view
        proc = exec_json(run_ocirun, unique_id, "/bin/ocitest", "proc")
        assert proc["pid"] > 1 and proc["ppid"] == 0  # in the pid namespace, parent outside
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_user_and_time_namespaces(bundle, run_ocirun, unique_id, traversable_test_dir):
    """The user namespace is joined first (the others belong to it), and
    the time namespace with the container's offsets."""
    lx = bundle.config["linux"]
    lx["namespaces"] += [{"type": "user"}, {"type": "time"}, {"type": "cgroup"}]
    lx["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lx["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lx["timeOffsets"] = {"boottime": {"secs": 86400 * 1000, "nanosecs": 0}}
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] != "/sys/fs/cgroup"]
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        ns = exec_json(run_ocirun, unique_id, "/bin/ocitest", "ns")["ns"]
        for t in NS_TYPES:
            assert ns[t] == os.readlink(f"/proc/{pid}/ns/{t}"), t
        assert ns["user"] != os.readlink("/proc/self/ns/user")
        out = run_ocirun("exec", "-u", "1000", unique_id, "sh", "-c",
                         "cat /proc/self/uid_map; id -u; cat /proc/uptime", check=True).stdout
        lines = out.split("\n")
        assert lines[0].split() == ["0", "100000", "65536"] and lines[1] == "1000"
        assert float(lines[2].split()[0]) > 86400 * 1000  # the offset applies
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_in_the_container_cgroup(running, run_ocirun):
    cid, pid = running
    with open(f"/proc/{pid}/cgroup") as f:
        init_cgroups = f.read()
    assert cid in init_cgroups
    r = run_ocirun("exec", cid, "cat", "/proc/self/cgroup", check=True)
    assert r.stdout == init_cgroups


def test_only_stdio_fds(running, run_ocirun):
    cid, _ = running
    assert exec_json(run_ocirun, cid, "/bin/ocitest", "fds")["fds"] == [0, 1, 2]


def test_preserve_fds(running, ocirun, tmp_root, test_dir):
    cid, _ = running
    path = test_dir / "preserved"
    path.write_text("kept\n")
    # fds 3..5 set up by a host shell, then ocirun exec'd with them
    script = (f'exec 3</dev/null 4</dev/null 5<"{path}"; exec "$0" --root "$1" exec '
              f'--preserve-fds 3 "$2" /bin/sh -c "ls /proc/self/fd; cat <&5"')
    r = subprocess.run(["/bin/sh", "-c", script, ocirun, str(tmp_root), cid],
                       capture_output=True, text=True, timeout=30, close_fds=True)
    assert r.returncode == 0, r.stderr
    fds = sorted(int(x) for x in r.stdout.split() if x.isdigit())
    assert r.stdout.endswith("kept\n")
    assert fds[:6] == [0, 1, 2, 3, 4, 5]
    assert max(fds) <= 6  # 6: ls's own directory fd at most


def test_preserved_fds_must_exist(running, ocirun, tmp_root):
    cid, _ = running
    r = subprocess.run([ocirun, "--root", str(tmp_root), "exec", "--preserve-fds", "50", cid,
                        "true"], capture_output=True, text=True, timeout=30, close_fds=True)
    assert r.returncode == 1
    assert "preserved fd" in r.stderr


def test_env_cwd_user_gids(running, run_ocirun):
    cid, _ = running
    env = exec_json(run_ocirun, cid, "/bin/ocitest", "env",
                    flags=("-e", "FOO=bar", "--env", "PATH=/bin", "-e", "FOO=baz"))["env"]
    assert "FOO=baz" in env and "FOO=bar" not in env
    assert [e for e in env if e.startswith("PATH=")] == ["PATH=/bin"]
    assert exec_json(run_ocirun, cid, "/bin/ocitest", "cwd", flags=("--cwd", "/tmp"))["cwd"] == "/tmp"
    ids = exec_json(run_ocirun, cid, "/bin/ocitest", "ids",
                    flags=("-u", "1000:1001", "-g", "20", "--additional-gids", "30"))
    assert (ids["uid"], ids["euid"], ids["gid"], ids["egid"]) == (1000, 1000, 1001, 1001)
    assert sorted(ids["groups"]) == [20, 30]
    ids = exec_json(run_ocirun, cid, "/bin/ocitest", "ids", flags=("--user", "65534"))
    assert (ids["uid"], ids["gid"]) == (65534, 0)  # the gid stays the config's


@pytest.mark.parametrize("user", ["abc", "1000:", ":1000", "1:2:3", "-1", "4294967296",
                                  "4294967295", " 1", "1000:x"])
def test_user_parsed_strictly(running, run_ocirun, user):
    cid, _ = running
    r = run_ocirun("exec", "-u", user, cid, "/bin/ocitest", "ids")
    assert r.returncode == 1 and '"uid"' not in r.stdout
    assert "exec failed: --user" in r.stderr


def test_cap_added_to_bounding_effective_permitted(running, run_ocirun):
    cid, _ = running
    caps = exec_json(run_ocirun, cid, "/bin/ocitest", "caps",
                     flags=("--cap", "CAP_SYS_ADMIN", "-c", "net_raw"))["names"]
    for s in ("bounding", "effective", "permitted"):
        assert "CAP_SYS_ADMIN" in caps[s] and "CAP_NET_RAW" in caps[s], s
        assert "CAP_KILL" in caps[s]  # the config's stay
    assert caps["inheritable"] == [] and caps["ambient"] == []
    plain = exec_json(run_ocirun, cid, "/bin/ocitest", "caps")["names"]
    assert "CAP_SYS_ADMIN" not in plain["effective"]


def test_no_new_privs(bundle, run_ocirun, unique_id):
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        assert exec_json(run_ocirun, unique_id, "/bin/ocitest", "nnp")["no_new_privs"] == 0
        nnp = exec_json(run_ocirun, unique_id, "/bin/ocitest", "nnp", flags=("--no-new-privs",))
        assert nnp["no_new_privs"] == 1
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_labels_refused_without_lsm(running, run_ocirun):
    cid, _ = running
    r = run_ocirun("exec", "--apparmor", "unconfined", cid, "true")
    assert r.returncode == 1 and "AppArmor is not supported" in r.stderr
    r = run_ocirun("exec", "--process-label", "system_u:system_r:container_t:s0", cid, "true")
    assert r.returncode == 1 and "SELinux is not supported" in r.stderr


def test_process_file(running, run_ocirun, test_dir):
    cid, _ = running
    proc = {
        "terminal": False,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [5]},
        "args": ["/bin/ocitest", "all"],
        "env": ["PATH=/bin", "FROM_FILE=1"],
        "cwd": "/tmp",
        "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"],
                         "permitted": ["CAP_CHOWN"]},
        "noNewPrivileges": True,
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256}],
    }
    path = test_dir / "process.json"
    path.write_text(json.dumps(proc))
    # the flags are ignored with --process, as in runc
    report = exec_json(run_ocirun, cid, "ignored", flags=("-p", str(path), "--cwd", "/"))
    assert report["ids"]["uid"] == 1000 and report["ids"]["groups"] == [5]
    assert report["cwd"]["cwd"] == "/tmp"
    assert "FROM_FILE=1" in report["env"]["env"]
    assert report["caps"]["names"]["bounding"] == ["CAP_CHOWN"]  # uid 1000: exec clears the rest
    assert report["nnp"]["no_new_privs"] == 1
    assert report["rlimits"]["rlimits"]["RLIMIT_NOFILE"] == {"soft": 256, "hard": 512}


def test_process_file_errors(running, run_ocirun, test_dir):
    cid, _ = running
    bad = test_dir / "bad.json"
    bad.write_text('{"args": ["true"], "cwd": "/", "user": {"uid": "zero", "gid": 0}}')
    r = run_ocirun("exec", "--process", str(bad), cid)
    assert r.returncode == 1 and "uid" in r.stderr and str(bad) in r.stderr
    bad.write_text("{not json")
    r = run_ocirun("exec", "--process", str(bad), cid)
    assert r.returncode == 1 and str(bad) in r.stderr
    r = run_ocirun("exec", "--process", str(test_dir / "missing.json"), cid)
    assert r.returncode == 1 and "missing.json" in r.stderr


def test_tty_with_console_socket(running, run_ocirun, test_dir):
    cid, _ = running
    console = ConsoleReceiver(test_dir / "exec-console.sock")
    try:
        r = run_ocirun("exec", "-t", "-d", "--console-socket", console.path, cid,
                       "/bin/sh", "-c", "/bin/ocitest proc; read x; echo got-$x; sleep 0.2")
        assert r.returncode == 0, r.stderr
        console.receive()
        out = console.read_until("isatty")
        assert '"isatty":[true,true,true]' in out
        os.write(console.master, b"ping\n")
        assert "got-ping" in console.read_until("got-ping")
    finally:
        console.close()


def test_tty_rules(running, run_ocirun, test_dir):
    cid, _ = running
    r = run_ocirun("exec", "-t", "-d", cid, "true")
    assert r.returncode == 1 and "cannot allocate tty if ocirun will detach" in r.stderr
    r = run_ocirun("exec", "--console-socket", str(test_dir / "x.sock"), cid, "true")
    assert r.returncode == 1 and "cannot use console socket" in r.stderr


def test_detach_and_pid_file(running, run_ocirun, test_dir):
    cid, _ = running
    pid_file = test_dir / "exec.pid"
    start = time.monotonic()
    r = run_ocirun("exec", "-d", "--pid-file", str(pid_file), cid, "/bin/sleep", "77")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - start < 10
    pid = int(pid_file.read_text())
    assert procs.alive(pid)
    assert procs.cmdline(pid)[:2] == ["/bin/sleep", "77"]
    assert not [p for p in os.listdir(test_dir) if p.startswith("exec.pid.")]  # atomic: no temp
    os.kill(pid, signal.SIGKILL)
    procs.wait_gone([pid], 5)


def test_seccomp_applies(bundle, run_ocirun, unique_id):
    bundle.config["linux"]["seccomp"] = allow_default(
        rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=13))
    bundle.set_writable()
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        r = run_ocirun("exec", unique_id, "sh", "-c", "mkdir /tmp/d; echo rc=$?")
        assert "rc=1" in r.stdout and "Permission denied" in r.stderr
        assert exec_json(run_ocirun, unique_id, "/bin/ocitest", "nnp")["seccomp"] == 2
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_missing_executable_and_bad_cwd(running, run_ocirun):
    cid, _ = running
    r = run_ocirun("exec", cid, "nothere")
    assert r.returncode == 1
    assert "nothere" in r.stderr and "executable file not found in $PATH" in r.stderr
    r = run_ocirun("exec", cid, "/bin/nothere")
    assert r.returncode == 1 and "/bin/nothere" in r.stderr
    r = run_ocirun("exec", "--cwd", "/nonexistent", cid, "true")
    assert r.returncode == 1 and "/nonexistent" in r.stderr
    r = run_ocirun("exec", "--cwd", "relative", cid, "true")
    assert r.returncode == 1 and "absolute" in r.stderr
    r = run_ocirun("exec", cid)
    assert r.returncode == 1 and "args must not be empty" in r.stderr


def test_cwd_through_host_fds_refused(running, run_ocirun):
    """CVE-2024-21626: no fd of ocirun's may give the process a host cwd."""
    cid, _ = running
    for n in range(3, 31):
        r = run_ocirun("exec", "--cwd", f"/proc/self/fd/{n}", cid, "/bin/ocitest", "cwd")
        if r.returncode == 0:
            cwd = json_from(r.stdout)
            assert cwd["cwd"].startswith("/") and "unreachable" not in r.stdout, n


def test_exec_is_not_dumpable_before_execve(running, run_ocirun):
    """A process of the container reading every /proc/PID/exe while execs
    run never reaches ocirun's binary (CVE-2019-5736): the exec'd process is
    non-dumpable until execve."""
    cid, _ = running
    watcher = ("i=0; while [ $i -lt 300 ]; do i=$((i+1)); "
               "for e in /proc/[0-9]*/exe; do readlink $e; done; done 2>/dev/null | sort -u")
    stop = threading.Event()
    execs = []

    def storm():
        while not stop.is_set():
            execs.append(run_ocirun("exec", cid, "true").returncode)

    t = threading.Thread(target=storm)
    t.start()
    try:
        r = run_ocirun("exec", cid, "sh", "-c", watcher, timeout=120)
    finally:
        stop.set()
        t.join(60)
    assert r.returncode == 0, r.stderr
    assert "/bin/busybox" in r.stdout  # the watcher does read other processes' exe
    assert "ocirun" not in r.stdout and "build" not in r.stdout
    assert len(execs) > 5 and set(execs) == {0}


def test_stopped_and_unknown_container(bundle, run_ocirun, unique_id):
    r = run_ocirun("exec", "nosuch", "true")
    assert r.returncode == 1 and "container does not exist" in r.stderr
    bundle.set_args(["/bin/true"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        deadline = time.monotonic() + 10
        while json.loads(run_ocirun("state", unique_id).stdout)["status"] != "stopped":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        r = run_ocirun("exec", unique_id, "true")
        assert r.returncode == 1 and "cannot exec in a stopped container" in r.stderr
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_created_container(bundle, run_ocirun, unique_id):
    """runc allows exec before start: the process joins the waiting init's
    namespaces."""
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    try:
        r = run_ocirun("exec", unique_id, "sh", "-c", "echo created-ok")
        assert r.returncode == 0 and r.stdout == "created-ok\n", r.stderr
    finally:
        run_ocirun("delete", "--force", unique_id)


def _freezer_dir(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrl, path = line.rstrip("\n").split(":", 2)
            if "freezer" in ctrl.split(","):
                return f"/sys/fs/cgroup/freezer{path}"
    return None


def test_paused_container(running, run_ocirun, spawn_ocirun):
    cid, pid = running
    freezer = _freezer_dir(pid)
    if freezer is None or not os.path.exists(f"{freezer}/freezer.state"):
        pytest.skip("no v1 freezer for the container")
    with open(f"{freezer}/freezer.state", "w") as f:
        f.write("FROZEN")
    bg = None
    try:
        r = run_ocirun("exec", cid, "true")
        assert r.returncode == 1
        assert "cannot exec in a paused container (use --ignore-paused to override)" in r.stderr
        bg = spawn_ocirun("exec", "--ignore-paused", cid, "sh", "-c", "echo thawed")
        time.sleep(0.5)
        assert bg.running()  # frozen with the container, not failed
    finally:
        with open(f"{freezer}/freezer.state", "w") as f:
            f.write("THAWED")
    r = bg.wait(30)
    assert r.returncode == 0 and r.stdout == "thawed\n", r.stderr


def test_parallel_execs(running, spawn_ocirun):
    cid, _ = running
    bgs = [spawn_ocirun("exec", cid, "sh", "-c", f"sleep 0.3; echo n{i}") for i in range(10)]
    for i, bg in enumerate(bgs):
        r = bg.wait(60)
        assert r.returncode == 0 and r.stdout == f"n{i}\n", r.stderr


@pytest.mark.slow
def test_exec_storm_leaves_nothing(running, run_ocirun, ocirun, tmp_root):
    """500 sequential execs: no zombie, no process, no mount, no fd left."""
    cid, pid = running

    def snapshot():
        with open(f"/proc/{pid}/mountinfo") as f:
            mounts = f.read()
        return mounts, sorted(os.listdir(f"/proc/{pid}/fd"))

    mounts, fds = snapshot()
    for _ in range(500):
        r = subprocess.run([ocirun, "--root", str(tmp_root), "exec", cid, "true"],
                           capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
    ps = run_ocirun("exec", cid, "ps", "-o", "pid,stat,comm", check=True).stdout
    assert " Z " not in ps and "defunct" not in ps
    lines = [x for x in ps.splitlines()[1:] if x.strip()]
    assert len(lines) == 2  # the init and ps itself
    assert snapshot() == (mounts, fds)


def _hierarchy_dir(pid, controller):
    """The directory of pid's cgroup in the v1 hierarchy of controller."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                break
        else:
            return None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup" and controller in fields[-1].split(","):
                return fields[4] + path
    return None


def test_cgroup_sub_cgroup(running, run_ocirun):
    cid, pid = running
    pids_dir = _hierarchy_dir(pid, "pids")
    if pids_dir is None:
        pytest.skip("no v1 pids hierarchy on this host")
    r = run_ocirun("exec", "--cgroup", "pids:sub", cid, "true")
    assert r.returncode == 1 and "sub-cgroup" in r.stderr and "does not exist" in r.stderr
    r = run_ocirun("exec", "--cgroup", "../escape", cid, "true")
    assert r.returncode == 1 and "invalid path component" in r.stderr
    r = run_ocirun("exec", "--cgroup", "nosuchctl:sub", cid, "true")
    assert r.returncode == 1 and "no cgroup v1 hierarchy" in r.stderr
    os.mkdir(f"{pids_dir}/sub")
    try:
        out = run_ocirun("exec", "--cgroup", "pids:sub", cid, "cat", "/proc/self/cgroup",
                         check=True).stdout
        lines = {ln.split(":", 2)[1]: ln.split(":", 2)[2] for ln in out.splitlines()}
        assert lines["pids"].endswith(f"/{cid}/sub")
        assert lines["memory"].endswith(f"/{cid}")
    finally:
        os.rmdir(f"{pids_dir}/sub")


def test_foreground_tty_from_a_tty(running, ocirun, tmp_root):
    """exec -t without a console socket proxies our tty: the window size is
    passed on (also on SIGWINCH), the exit code comes back, the tty's
    settings are restored."""
    import fcntl
    import pty
    import struct
    import termios

    cid, _ = running
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 60, 0, 0))
    before = termios.tcgetattr(slave)
    script = ("read line; echo got-$line; stty size; /bin/ocitest proc; "
              "trap 'stty size' WINCH; echo waiting; read line2; exit 5")
    proc = subprocess.Popen([str(ocirun), "--root", str(tmp_root), "exec", "-t", cid,
                             "/bin/sh", "-c", script],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    rcv = ConsoleReceiver.__new__(ConsoleReceiver)
    rcv.master = master
    try:
        os.write(master, b"abc\r")
        out = rcv.read_until("waiting")
        assert "got-abc" in out and "20 60" in out, out
        assert '"isatty":[true,true,true]' in out
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 90, 0, 0))
        os.kill(proc.pid, signal.SIGWINCH)
        out = rcv.read_until("30 90")
        os.write(master, b"x\r")
        assert proc.wait(timeout=20) == 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)


def test_host_binary_never_writable_through_proc_exe(bundle, ocirun, test_dir, unique_id):
    """CVE-2019-5736, the write side: a container process loops over every
    /proc/PID/exe, opening each one that is not its own busybox/ocitest and
    trying to write the binary through that fd (O_WRONLY), while execs run.
    It runs against a private copy of ocirun, so even a regression damages
    only the copy; the copy's hash must not change."""
    import hashlib
    import shutil
    import tempfile

    copy = test_dir / "ocirun-copy"
    shutil.copy2(ocirun, copy)
    root = test_dir / "copy-root"

    def oc(*args, timeout=60):
        # files, not pipes: a detached container keeps its stdio open
        with tempfile.TemporaryFile(dir=test_dir) as out, \
                tempfile.TemporaryFile(dir=test_dir) as err:
            r = subprocess.run([str(copy), "--root", str(root), *args], stdout=out, stderr=err,
                               timeout=timeout, stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(r.args, r.returncode, out.read().decode(),
                                               err.read().decode())

    def digest():
        return hashlib.sha256(copy.read_bytes()).hexdigest()

    before = digest()
    bundle.set_args(["/bin/sleep", "1000"])
    assert oc("run", "-d", "--bundle", str(bundle.path), unique_id).returncode == 0
    watcher = ("i=0; while [ $i -lt 1000 ]; do i=$((i+1)); "
               "for e in /proc/[0-9]*/exe; do "
               "t=$(readlink $e 2>/dev/null) || continue; "
               "case $t in /bin/busybox|/bin/ocitest) continue;; esac; "
               "echo SAW $t; "
               "(exec 3<$e && echo pwned >>/proc/self/fd/3) 2>/dev/null && echo WROTE $t; "
               "done; done; echo loops=$i")
    stop = threading.Event()
    codes = []

    def storm():
        while not stop.is_set():
            codes.append(oc("exec", unique_id, "true").returncode)

    t = threading.Thread(target=storm)
    t.start()
    try:
        r = oc("exec", unique_id, "sh", "-c", watcher, timeout=120)
    finally:
        stop.set()
        t.join(60)
        oc("delete", "--force", unique_id)
    assert r.returncode == 0, r.stderr
    assert "loops=1000" in r.stdout, r.stdout
    assert "SAW" not in r.stdout and "WROTE" not in r.stdout, r.stdout
    assert len(codes) > 5 and set(codes) == {0}
    assert digest() == before
