"""create / start / run and what the container init sets up before execve:
namespaces, user, capabilities, fds, rlimits, sysctl... and the failures
(bad configs, bad ids, lifecycle misuse) that must leave nothing behind.
Where runc's behaviour is the reference, the test says so."""

import json
import os
import select
import signal
import subprocess
import tempfile
import time

import pytest

from ocitestlib import procs
from ocitestlib.runner import json_from

pytestmark = pytest.mark.root


# ---- helpers -----------------------------------------------------------------

def state_of(run_ocirun, cid):
    r = run_ocirun("state", cid, check=True)
    return json.loads(r.stdout)


def wait_status(run_ocirun, cid, want, timeout=10):
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        r = run_ocirun("state", cid)
        if r.returncode == 0:
            status = json.loads(r.stdout)["status"]
            if status == want:
                return
        time.sleep(0.05)
    pytest.fail(f"container {cid} never reached {want} (last: {status})")


def assert_nothing_left(root):
    """A failed create leaves no state directory (processes, mounts and
    cgroups are checked by the autouse leak guard)."""
    assert [e for e in os.listdir(root) if not e.startswith(".")] == []


def assert_one_line_error(result, *needles):
    assert result.returncode != 0, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for n in needles:
        assert n in lines[0], result.stderr


def host_ns(name):
    return os.readlink(f"/proc/self/ns/{name}")


def run_json(run_in_container, bundle, *args):
    result, data = run_in_container(*args, bundle=bundle)
    assert data is not None, result.stdout
    return data


# ---- run: exit codes and signals ------------------------------------------------

def test_run_true_exits_0_and_is_deleted(run_ocirun, bundle, unique_id, tmp_root):
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert_nothing_left(tmp_root)


def test_run_bundle_defaults_to_cwd(run_ocirun, bundle, unique_id):
    r = run_ocirun("run", unique_id, cwd=bundle.path)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("code", [1, 42, 255])
def test_exit_code_propagates(run_ocirun, bundle, unique_id, code):
    bundle.ocitest("exit", str(code))
    r = run_ocirun("run", "-b", bundle.path, unique_id)
    assert r.returncode == code, r.stderr


def test_killed_container_gives_128_plus_signal(run_ocirun, spawn_ocirun, bundle, unique_id):
    bundle.ocitest("sleep", "100")
    bg = spawn_ocirun("run", "--bundle", bundle.path, unique_id)
    wait_status(run_ocirun, unique_id, "running")
    run_ocirun("kill", unique_id, "KILL", check=True)
    assert bg.wait().returncode == 128 + signal.SIGKILL


def test_run_forwards_signals_to_the_init(run_ocirun, spawn_ocirun, bundle, unique_id):
    # pid 1 only gets signals it handles: the shell traps TERM.
    bundle.set_args(["/bin/sh", "-c", "trap 'exit 7' TERM; echo ready; "
                     "while :; do sleep 0.05; done"])
    bg = spawn_ocirun("run", "--bundle", bundle.path, unique_id)
    wait_status(run_ocirun, unique_id, "running")
    deadline = time.monotonic() + 10
    while "ready" not in bg.stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(bg.pid, signal.SIGTERM)
    assert bg.wait().returncode == 7


def test_run_keep_leaves_a_stopped_container(run_ocirun, bundle, unique_id, tmp_root):
    r = run_ocirun("run", "--keep", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    st = state_of(run_ocirun, unique_id)
    assert st["status"] == "stopped"
    run_ocirun("delete", unique_id, check=True)
    assert_nothing_left(tmp_root)


def test_run_detach(run_ocirun, bundle, unique_id, tmp_root):
    bundle.ocitest("sleep", "100")
    r = run_ocirun("run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    st = state_of(run_ocirun, unique_id)
    assert st["status"] == "running"
    assert procs.alive(st["pid"])
    run_ocirun("delete", "--force", unique_id, check=True)
    assert_nothing_left(tmp_root)


# ---- create / start -------------------------------------------------------------

def test_create_start_lifecycle(run_ocirun, bundle, unique_id, test_dir, tmp_root):
    bundle.ocitest("sleep", "100")
    pid_file = test_dir / "init.pid"
    run_ocirun("create", "--bundle", bundle.path, "--pid-file", pid_file, unique_id,
               check=True)
    st = state_of(run_ocirun, unique_id)
    assert st["status"] == "created"
    assert st["id"] == unique_id
    assert st["bundle"] == str(bundle.path)
    assert st["rootfs"] == str(bundle.rootfs)
    assert pid_file.read_text() == str(st["pid"])
    assert procs.alive(st["pid"])
    assert (tmp_root / unique_id / "exec.fifo").exists()

    run_ocirun("start", unique_id, check=True)
    assert state_of(run_ocirun, unique_id)["status"] == "running"
    assert not (tmp_root / unique_id / "exec.fifo").exists()
    # runc's wording for starting twice
    again = run_ocirun("start", unique_id)
    assert_one_line_error(again, "cannot start an already running container")

    run_ocirun("kill", unique_id, "KILL", check=True)
    wait_status(run_ocirun, unique_id, "stopped")
    stopped = run_ocirun("start", unique_id)
    assert_one_line_error(stopped, "cannot start a container that has stopped")
    run_ocirun("delete", unique_id, check=True)
    assert_nothing_left(tmp_root)


def test_pid_file_relative_to_cwd(run_ocirun, bundle, unique_id, test_dir):
    bundle.ocitest("sleep", "100")
    run_ocirun("create", "--bundle", bundle.path, "--pid-file", "rel.pid", unique_id,
               cwd=test_dir, check=True)
    assert (test_dir / "rel.pid").read_text() == str(state_of(run_ocirun, unique_id)["pid"])
    assert [p for p in os.listdir(test_dir) if p.startswith("rel.pid.")] == []


def test_create_output_is_only_the_container(run_ocirun, bundle, unique_id):
    bundle.set_args(["/bin/echo", "hello from the container"])
    r = run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    assert r.stdout == ""
    run_ocirun("start", unique_id, check=True)
    wait_status(run_ocirun, unique_id, "stopped")


def test_start_unknown_id(run_ocirun):
    r = run_ocirun("start", "nosuchcontainer")
    assert_one_line_error(r, "container does not exist")


def test_duplicate_id(run_ocirun, bundle, unique_id):
    bundle.ocitest("sleep", "100")
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "container with given ID already exists")
    # the first one is untouched
    assert state_of(run_ocirun, unique_id)["status"] == "created"


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 1000, "."])
def test_bad_ids(run_ocirun, bundle, bad, tmp_root):
    r = run_ocirun("run", "--bundle", bundle.path, bad)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert_nothing_left(tmp_root)
    assert not (tmp_root.parent / "x").exists()


# ---- namespaces -------------------------------------------------------------------

def test_each_namespace_is_new(run_in_container, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.write()
    ns = run_json(run_in_container, bundle, "ns")["ns"]
    for name in ("pid", "net", "ipc", "uts", "mnt", "cgroup"):
        assert ns[name] != host_ns(name), name
    # not asked for: shared with the host
    assert ns["user"] == host_ns("user")
    assert ns["time"] == host_ns("time")


def test_without_namespaces_the_host_ones_are_used(run_in_container, bundle):
    bundle.remove_namespace("network")
    bundle.remove_namespace("ipc")
    ns = run_json(run_in_container, bundle, "ns")["ns"]
    assert ns["net"] == host_ns("net")
    assert ns["ipc"] == host_ns("ipc")
    assert ns["pid"] != host_ns("pid")


@pytest.fixture
def netns(test_prefix):
    name = f"{test_prefix}-ns"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield f"/var/run/netns/{name}"
    subprocess.run(["ip", "netns", "delete", name], check=False)


def test_join_network_namespace_by_path(run_in_container, bundle, netns):
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = netns
    bundle.write()
    ns = run_json(run_in_container, bundle, "ns")["ns"]
    assert ns["net"] == f"net:[{os.stat(netns).st_ino}]"


def test_join_path_of_the_wrong_type(run_ocirun, bundle, unique_id, tmp_root):
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = "/proc/self/ns/ipc"
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "network namespace", "/proc/self/ns/ipc", "another type")
    assert_nothing_left(tmp_root)


def test_join_path_missing(run_ocirun, bundle, unique_id, tmp_root):
    bundle.config["linux"]["namespaces"].append({"type": "cgroup", "path": "/nonexistent/ns"})
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "/nonexistent/ns", "No such file")
    assert_nothing_left(tmp_root)


@pytest.fixture
def traversable_test_dir(test_dir):
    """The mapped root of a user namespace is not host root: it must be able
    to reach the bundle through pytest's 0700 directories."""
    dirs = [test_dir, test_dir.parent, test_dir.parent.parent]
    modes = [(d, os.stat(d).st_mode & 0o7777) for d in dirs]
    for d, mode in modes:
        os.chmod(d, mode | 0o011)
    yield test_dir
    for d, mode in modes:
        os.chmod(d, mode)


def test_join_path_that_is_a_fifo_does_not_hang(run_ocirun, bundle, unique_id, test_dir,
                                                tmp_root):
    fifo = test_dir / "not-a-namespace"
    os.mkfifo(fifo)
    bundle.config["linux"]["namespaces"].append({"type": "cgroup", "path": str(fifo)})
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=10)
    assert_one_line_error(r, str(fifo), "not a namespace file")
    assert_nothing_left(tmp_root)


def test_user_namespace_with_mappings(run_ocirun, bundle, unique_id, traversable_test_dir):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000,
                                              "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000,
                                              "size": 1000}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] != "/sys/fs/cgroup"]
    # written by the parent: the init's own /proc files are out of its reach
    bundle.config["process"]["oomScoreAdj"] = 100
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; "
                     "/bin/ocitest all"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    maps = [line.split() for line in r.stdout.splitlines()[:2]]
    assert maps == [["0", "100000", "65536"], ["0", "200000", "1000"]]
    data = json_from(r.stdout)
    assert data["ids"]["uid"] == 0 and data["ids"]["gid"] == 0
    assert data["oom"]["oom_score_adj"] == 100


@pytest.fixture
def userns_holder():
    """A process in a user namespace of its own (host root mapped to 0)."""
    p = subprocess.Popen(["unshare", "-U", "--map-user=0", "--map-group=0", "sleep", "60"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if os.readlink(f"/proc/{p.pid}/ns/user") != host_ns("user"):
            break
        time.sleep(0.02)
    yield f"/proc/{p.pid}/ns/user"
    p.kill()
    p.wait()


def test_join_user_namespace_by_path_without_proc(run_ocirun, bundle, unique_id,
                                                  userns_holder):
    # the namespaces to create are made by the init after joining, so they
    # belong to the joined user namespace; no /proc in the container either
    # (exec.fifo is reopened through ocirun's own /proc/self/fd)
    bundle.config["linux"]["namespaces"] = [
        {"type": "user", "path": userns_holder}, {"type": "mount"}, {"type": "uts"},
        {"type": "ipc"}, {"type": "network"}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] in ("/dev", "/dev/shm", "/sys")]
    bundle.set_args(["/bin/sh", "-c", "id -u; id -g; test -e /proc/self || echo no-proc"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "0", "no-proc"]


def test_new_pid_namespace_with_joined_user_namespace_is_refused(run_ocirun, bundle, unique_id,
                                                                 userns_holder, tmp_root):
    bundle.config["linux"]["namespaces"].append({"type": "user", "path": userns_holder})
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "pid namespace", "not supported yet")
    assert_nothing_left(tmp_root)


def test_time_namespace_offsets(run_ocirun, bundle, unique_id):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 1000,
                                                          "nanosecs": 0}}
    bundle.set_args(["/bin/cat", "/proc/uptime"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split()[0]) > 86400 * 1000


def test_uid_mappings_without_user_namespace(run_ocirun, bundle, unique_id, tmp_root):
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 1000, "size": 1}]
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "user namespace")
    assert_nothing_left(tmp_root)


# ---- hostname, env, cwd -------------------------------------------------------------

def test_hostname_and_domainname(run_in_container, bundle):
    bundle.config["hostname"] = "box1"
    bundle.config["domainname"] = "example.test"
    bundle.write()
    data = run_json(run_in_container, bundle, "all")
    assert data["hostname"]["hostname"] == "box1"
    assert data["domainname"]["domainname"] == "example.test"


def test_hostname_needs_uts_namespace(run_ocirun, bundle, unique_id, tmp_root):
    bundle.remove_namespace("uts")
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "hostname", "uts namespace")
    assert_nothing_left(tmp_root)


def env_of(run_in_container, bundle):
    env = run_json(run_in_container, bundle, "env")
    values = env.get("env", env)
    if isinstance(values, list):
        return dict(v.split("=", 1) for v in values)
    return values


def test_env_is_process_env_plus_home(run_in_container, bundle):
    # as runc: HOME is added from the container's /etc/passwd when missing
    bundle.config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    bundle.write()
    assert env_of(run_in_container, bundle) == {"PATH": "/bin", "FOO": "bar baz", "EMPTY": "",
                                                "HOME": "/root"}


def test_env_home_given_or_unknown_user(run_in_container, bundle):
    bundle.config["process"]["env"] = ["HOME=/elsewhere"]
    bundle.write()
    assert env_of(run_in_container, bundle) == {"HOME": "/elsewhere"}
    bundle.config["process"]["env"] = ["PATH=/bin"]
    bundle.config["process"]["user"] = {"uid": 4242, "gid": 4242}
    bundle.write()
    assert env_of(run_in_container, bundle)["HOME"] == "/"


def test_args0_resolved_with_the_container_path(run_ocirun, bundle, unique_id):
    bundle.set_args(["ocitest", "exit", "3"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 3, r.stderr


def test_cwd(run_in_container, bundle):
    bundle.config["process"]["cwd"] = "/tmp"
    bundle.write()
    assert run_json(run_in_container, bundle, "cwd")["cwd"] == "/tmp"


def test_missing_cwd_fails(run_ocirun, bundle, unique_id, tmp_root):
    # runc 1.1 creates a missing cwd; ocirun refuses it (issue #3)
    bundle.config["process"]["cwd"] = "/does/not/exist"
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "/does/not/exist", "No such file")
    assert_nothing_left(tmp_root)


def test_args0_not_found(run_ocirun, bundle, unique_id, tmp_root):
    bundle.set_args(["nosuchprogram"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    # runc's exact wording
    assert_one_line_error(r, 'exec: ', 'nosuchprogram', 'executable file not found in $PATH')
    assert_nothing_left(tmp_root)


def test_args0_not_executable(run_ocirun, bundle, unique_id, tmp_root):
    bundle.set_args(["/etc/passwd"])
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "exec: ", "/etc/passwd", "ermission denied")
    assert_nothing_left(tmp_root)


def test_args0_missing_absolute(run_ocirun, bundle, unique_id, tmp_root):
    bundle.set_args(["/bin/nope"])
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "exec: ", "/bin/nope", "No such file")
    assert_nothing_left(tmp_root)


# ---- user, capabilities, security ---------------------------------------------------

def test_user_ids_groups_umask(run_in_container, bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100],
                                        "umask": 0o027}
    bundle.write()
    ids = run_json(run_in_container, bundle, "ids")
    assert (ids["uid"], ids["euid"], ids["suid"]) == (1000, 1000, 1000)
    assert (ids["gid"], ids["egid"], ids["sgid"]) == (1000, 1000, 1000)
    assert sorted(ids["groups"]) == [5, 100]
    assert ids["umask"] == 0o027


def test_default_umask_is_0022(run_in_container, bundle):
    assert run_json(run_in_container, bundle, "ids")["umask"] == 0o022


def test_capabilities_of_runc_spec(run_in_container, bundle):
    caps = run_json(run_in_container, bundle, "caps")["names"]
    want = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    for s in ("bounding", "effective", "permitted"):
        assert sorted(caps[s]) == want, s
    # as runc: ambient caps not in inheritable are not raised; inheritable empty
    assert caps["inheritable"] == []
    assert caps["ambient"] == []


def test_capabilities_for_a_non_root_user(run_in_container, bundle):
    c = bundle.config["process"]
    c["user"] = {"uid": 1000, "gid": 1000}
    c["capabilities"] = {"bounding": ["CAP_CHOWN", "CAP_NET_RAW"],
                         "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"],
                         "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN"]}
    bundle.write()
    caps = run_json(run_in_container, bundle, "caps")["names"]
    assert sorted(caps["bounding"]) == ["CAP_CHOWN", "CAP_NET_RAW"]
    for s in ("effective", "permitted", "inheritable", "ambient"):
        assert caps[s] == ["CAP_CHOWN"], s


def test_unknown_capability_is_a_warning(run_ocirun, bundle, unique_id):
    bundle.config["process"]["capabilities"]["bounding"].append("CAP_NOT_A_THING")
    bundle.ocitest("caps")
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert "CAP_NOT_A_THING" in r.stderr and "warn" in r.stderr.lower()
    assert "CAP_NOT_A_THING" not in json_from(r.stdout)["names"]["bounding"]


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(run_in_container, bundle, nnp):
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.write()
    assert run_json(run_in_container, bundle, "nnp")["no_new_privs"] == int(nnp)


def test_run_parent_exe_not_reachable_from_the_container(run_ocirun, bundle, unique_id):
    """CVE-2019-5736: a container sharing ocirun's pid namespace must not
    reach the host binary through /proc/PPID/exe."""
    bundle.remove_namespace("pid")
    bundle.set_args(["/bin/sh", "-c", "readlink /proc/$PPID/exe && cat /proc/$PPID/exe "
                     ">/dev/null && echo REACHED"])
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/proc"]
    bundle.add_mount("/proc", "proc", "proc")
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert "REACHED" not in r.stdout
    assert "ocirun" not in r.stdout


# ---- fds ------------------------------------------------------------------------------

def test_only_stdio_fds(run_in_container, bundle):
    assert run_json(run_in_container, bundle, "fds")["fds"] == [0, 1, 2]


def preserve_run(ocirun, root, bundle, cid, n, open_fds):
    opens = " ".join(f"{fd}</dev/null" for fd in open_fds)
    script = f"exec {opens}; exec \"$0\" --root \"$1\" run --preserve-fds {n} -b \"$2\" \"$3\""
    return subprocess.run(["/bin/sh", "-c", script, str(ocirun), str(root), str(bundle.path),
                           cid], capture_output=True, text=True, timeout=30)


def test_preserve_fds(ocirun, tmp_root, bundle, unique_id):
    bundle.ocitest("fds")
    r = preserve_run(ocirun, tmp_root, bundle, unique_id, 2, [3, 4, 5])
    assert r.returncode == 0, r.stderr
    assert json_from(r.stdout)["fds"] == [0, 1, 2, 3, 4]


def test_created_init_does_not_hold_the_callers_fds(ocirun, tmp_root, bundle, unique_id):
    """A pipe the caller leaks into `create` (not close-on-exec, beyond
    --preserve-fds) is closed by the init at once, not at start: a caller
    reading the pipe to EOF must not hang while the container is created."""
    bundle.set_args(["/bin/sleep", "60"])
    r_end, w_end = os.pipe()
    os.set_inheritable(w_end, True)
    try:
        # stderr to a file: the container keeps the caller's stdio itself
        with tempfile.TemporaryFile(mode="w+") as err:
            p = subprocess.run([str(ocirun), "--root", str(tmp_root), "create", "--bundle",
                                str(bundle.path), unique_id], pass_fds=(w_end,),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=err, timeout=30)
            os.close(w_end)
            w_end = -1
            err.seek(0)
            assert p.returncode == 0, err.read()
        ready, _, _ = select.select([r_end], [], [], 10)
        assert ready, "the created container still holds the caller's pipe"
        assert os.read(r_end, 1) == b""
    finally:
        if w_end >= 0:
            os.close(w_end)
        os.close(r_end)
    subprocess.run([str(ocirun), "--root", str(tmp_root), "delete", "-f", unique_id],
                   check=True, capture_output=True, timeout=30)


def test_preserve_fds_that_do_not_exist(ocirun, tmp_root, bundle, unique_id):
    bundle.ocitest("fds")
    r = preserve_run(ocirun, tmp_root, bundle, unique_id, 3, [3])
    assert r.returncode != 0
    assert "preserved fd 4" in r.stderr
    assert_nothing_left(tmp_root)


# ---- rlimits, oom, sysctl --------------------------------------------------------------

def test_rlimits(run_in_container, bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    ]
    bundle.write()
    rl = run_json(run_in_container, bundle, "rlimits")["rlimits"]
    assert rl["RLIMIT_NOFILE"] == {"soft": 512, "hard": 1024}
    assert rl["RLIMIT_CORE"] == {"soft": 0, "hard": 0}


def test_oom_score_adj(run_in_container, bundle):
    bundle.config["process"]["oomScoreAdj"] = 500
    bundle.write()
    assert run_json(run_in_container, bundle, "oom")["oom_score_adj"] == 500


def test_sysctl_in_new_netns(run_ocirun, bundle, unique_id):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.set_args(["/bin/cat", "/proc/sys/net/ipv4/ip_forward"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() in ("0", "1")  # the host's value, untouched by design


@pytest.mark.parametrize("key,remove,needle", [
    ("net.ipv4.ip_forward", "network", "network namespace"),
    ("kernel.shmmax", "ipc", "ipc namespace"),
    ("vm.swappiness", None, "not in a separate kernel namespace"),
    ("net.ipv4/../../../x", None, "malformed"),
])
def test_sysctl_refused(run_ocirun, bundle, unique_id, tmp_root, key, remove, needle):
    if remove:
        bundle.remove_namespace(remove)
    bundle.config["linux"]["sysctl"] = {key: "1"}
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, needle)
    assert_nothing_left(tmp_root)


# ---- bad configs ------------------------------------------------------------------------

def _drop_process(c):
    del c["process"]


def _empty_args(c):
    c["process"]["args"] = []


def _missing_rootfs(c):
    c["root"]["path"] = "no-such-rootfs"


def _dup_namespace(c):
    c["linux"]["namespaces"].append({"type": "pid"})


def _relative_cwd(c):
    c["process"]["cwd"] = "tmp"


def _bad_rlimit(c):
    c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]


def _soft_above_hard(c):
    c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]


def _bad_oom(c):
    c["process"]["oomScoreAdj"] = 5000


def _user_ns_without_maps(c):
    c["linux"]["namespaces"].append({"type": "user"})


def _bad_personality(c):
    c["linux"]["personality"] = {"domain": "WINDOWS"}


def _offsets_without_timens(c):
    c["linux"]["timeOffsets"] = {"monotonic": {"secs": 1}}


@pytest.mark.parametrize("mutate,needle", [
    (_drop_process, "process"),
    (_empty_args, "args must not be empty"),
    (_missing_rootfs, "no-such-rootfs"),
    (_dup_namespace, "pid"),
    (_relative_cwd, "cwd"),
    (_bad_rlimit, "RLIMIT_BOGUS"),
    (_soft_above_hard, "RLIMIT_NOFILE"),
    (_bad_oom, "oomScoreAdj"),
    (_user_ns_without_maps, "uidMappings"),
    (_bad_personality, "personality"),
    (_offsets_without_timens, "time namespace"),
])
def test_bad_config_fails_cleanly(run_ocirun, bundle, unique_id, tmp_root, mutate, needle):
    mutate(bundle.config)
    bundle.write()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, needle)
    assert_nothing_left(tmp_root)


def test_malformed_json(run_ocirun, bundle, unique_id, tmp_root):
    bundle.config_path.write_text('{"ociVersion": "1.0.0", "process": ')
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "config.json")
    assert_nothing_left(tmp_root)


def test_missing_bundle(run_ocirun, test_dir, unique_id, tmp_root):
    r = run_ocirun("run", "--bundle", test_dir / "nope", unique_id)
    assert_one_line_error(r, "nope")
    assert_nothing_left(tmp_root)


def test_console_socket_without_terminal(run_ocirun, bundle, unique_id, test_dir, tmp_root):
    r = run_ocirun("create", "--bundle", bundle.path, "--console-socket", test_dir / "s",
                   unique_id)
    assert_one_line_error(r, "console socket")
    assert_nothing_left(tmp_root)


def test_console_socket_in_the_foreground(run_ocirun, bundle, unique_id, test_dir, tmp_root):
    # runc: "cannot use console socket if runc will not detach or allocate tty"
    bundle.config["process"]["terminal"] = True
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, "--console-socket", test_dir / "s",
                   unique_id)
    assert_one_line_error(r, "cannot use console socket")
    assert_nothing_left(tmp_root)


def test_terminal_detached_needs_console_socket(run_ocirun, bundle, unique_id, tmp_root):
    bundle.config["process"]["terminal"] = True
    bundle.write()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "console socket")
    assert_nothing_left(tmp_root)


def test_failure_in_the_init_leaves_nothing(run_ocirun, bundle, unique_id, tmp_root):
    # an rlimit above the hard limit root may raise here fails in the init
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1 << 40,
                                            "hard": 1 << 40}]
    bundle.write()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "RLIMIT_NOFILE")
    assert_nothing_left(tmp_root)


# ---- NOTIFY_SOCKET ------------------------------------------------------------------------

@pytest.fixture
def host_notify(test_dir):
    import socket
    path = test_dir / "host-notify.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(10)
    yield path, s
    s.close()


def test_notify_socket_run(run_ocirun, bundle, unique_id, host_notify):
    path, sock = host_notify
    bundle.set_args(["/bin/sh", "-c", 'echo "$NOTIFY_SOCKET"; /bin/ocitest notify-ready'])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, env={"NOTIFY_SOCKET": path})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "/run/notify/notify.sock"
    msg = sock.recv(4096).decode()
    assert "READY=1" in msg.splitlines()
    assert any(line.startswith("MAINPID=") for line in msg.splitlines())


def test_notify_socket_create_start(run_ocirun, bundle, unique_id, host_notify):
    path, sock = host_notify
    bundle.set_args(["/bin/sh", "-c", "sleep 0.2; /bin/ocitest notify-ready; sleep 100"])
    env = {"NOTIFY_SOCKET": path}
    run_ocirun("create", "--bundle", bundle.path, unique_id, env=env, check=True)
    run_ocirun("start", unique_id, env=env, check=True)
    # start returned after READY=1 was forwarded: it is already queued
    sock.settimeout(0.5)
    msg = sock.recv(4096).decode()
    assert "READY=1" in msg
    assert f"MAINPID={state_of(run_ocirun, unique_id)['pid']}" in msg


def test_notify_start_fails_when_the_container_exits_first(run_ocirun, bundle, unique_id,
                                                           host_notify):
    path, _ = host_notify
    env = {"NOTIFY_SOCKET": path}
    run_ocirun("create", "--bundle", bundle.path, unique_id, env=env, check=True)
    r = run_ocirun("start", unique_id, env=env)
    assert_one_line_error(r, "READY=1")


# ---- seccomp wiring (the profiles themselves: test_seccomp.py) ---------------------------

def test_seccomp_profile_is_installed_last(run_ocirun, bundle, unique_id):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }
    bundle.set_args(["/bin/sh", "-c", "mkdir /tmp/x; echo rc=$?; /bin/ocitest nnp"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert "rc=1" in r.stdout and "Operation not permitted" in r.stderr
    assert json_from(r.stdout)["seccomp"] == 2


def test_seccomp_notify_without_agent_fails_cleanly(run_ocirun, bundle, unique_id, tmp_root):
    """SCMP_ACT_NOTIFY with a listenerPath nobody listens on: create fails
    with one line naming the action and leaves nothing behind."""
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/tmp/nowhere.sock",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
    }
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_one_line_error(r, "SCMP_ACT_NOTIFY")
    assert_nothing_left(tmp_root)


def test_foreground_run_with_a_terminal(ocirun, tmp_root, bundle, unique_id):
    """process.terminal without --console-socket: ocirun proxies the pty."""
    bundle.config["process"]["terminal"] = True
    bundle.set_args(["/bin/sh", "-c", "tty; exit 5"])
    cmd = f"{ocirun} --root {tmp_root} run --bundle {bundle.path} {unique_id}"
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 5, (r.stdout, r.stderr)
    assert "/dev/pts/0" in r.stdout
    assert_nothing_left(tmp_root)


def test_rootless_single_mapping(bundle, unique_id, traversable_test_dir, ocirun):
    """An unprivileged caller: its own uid mapped to 0, setgroups denied,
    no cgroup (--cgroup-manager disabled), state under $XDG_RUNTIME_DIR."""
    nobody = 65534
    c = bundle.config
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": nobody, "size": 1}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": nobody, "size": 1}]
    c["linux"].pop("resources", None)
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    for m in c["mounts"]:
        if m["destination"] == "/dev/pts":
            m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/setgroups; id -u"])
    run_dir = traversable_test_dir / "xdg"
    run_dir.mkdir()
    for p in [run_dir, bundle.path, bundle.config_path]:
        os.chown(p, nobody, nobody)
    r = subprocess.run(["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups",
                        str(ocirun), "--cgroup-manager", "disabled", "run", "--bundle",
                        str(bundle.path), unique_id],
                       env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(run_dir)},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[:3] == ["0", str(nobody), "1"]
    assert out[3] == "deny" and out[4] == "0"
    assert os.listdir(run_dir / "ocirun") == []


def test_rootless_multiple_mappings_are_refused(bundle, unique_id, traversable_test_dir,
                                                ocirun):
    nobody = 65534
    c = bundle.config
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": nobody, "size": 1},
                                 {"containerID": 1, "hostID": 100000, "size": 1000}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": nobody, "size": 1}]
    c["linux"].pop("resources", None)
    bundle.write()
    run_dir = traversable_test_dir / "xdg"
    run_dir.mkdir()
    os.chown(run_dir, nobody, nobody)
    r = subprocess.run(["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups",
                        str(ocirun), "--cgroup-manager", "disabled", "run", "--bundle",
                        str(bundle.path), unique_id],
                       env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(run_dir)},
                       capture_output=True, text=True, timeout=30)
    assert_one_line_error(r, "newuidmap")
    assert os.listdir(run_dir / "ocirun") == []
