"""containerd 1.6 (Debian 12) driving ocirun through the io.containerd.runc.v2
shim (issue #10).

Each test starts its own containerd (ocitestlib.clients.Containerd: root,
state and the gRPC socket in a private /tmp directory, the CRI plugin off),
imports a busybox image written by hand as an OCI layout tarball (no
registry), and runs `ctr run --runc-binary WRAPPER`, where WRAPPER logs every
command line the shim passes to ocirun.  The containerd namespace and the
container ids carry the test's id prefix, so the cgroups (/NAMESPACE/ID) are
seen by the leak guard.  containerd is stopped by PID and its directory
removed, also when a test fails.  Skips with the reason when containerd is
not installed.
"""

import json
import shlex
import subprocess
import time
import tomllib

import pytest

from ocitestlib.clients import (ClientUnavailable, Containerd, RuntimeWrapper,
                                busybox_rootfs, cgroup_tree_exists, contrib_snippet, image_archive,
                                remove_cgroup_tree, subcommand)

pytestmark = [pytest.mark.root, pytest.mark.slow]

IMAGE = "localhost/ocirun-test-busybox:latest"


@pytest.fixture
def ctd(ocirun, test_dir, test_prefix):
    wrapper = RuntimeWrapper(test_dir, ocirun)
    namespace = f"ocirun-test-{test_prefix}"
    try:
        archive = image_archive(test_dir, IMAGE)
        c = Containerd.start(namespace)
    except ClientUnavailable as e:
        print(f"SKIP containerd: {e}")
        pytest.skip(str(e))
    try:
        r = c.ctr("images", "import", str(archive))
        assert r.returncode == 0, r.stderr
        c.wrapper = wrapper
        c.prefix = test_prefix
        yield c
    finally:
        c.stop()
        remove_cgroup_tree(f"/{namespace}")
    assert cgroup_tree_exists(f"/{namespace}") == [], "the cgroups are removed"


def ctr(c, *args, **kw):
    r = c.ctr(*args, **kw)
    print("ctr", " ".join(args), "->", r.returncode, r.stdout[-500:], r.stderr[-500:])
    return r


def task_status(c, cid):
    for line in ctr(c, "tasks", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return f[2]
    return None


def test_run_output_exit_code_and_argv(ctd):
    cid = f"{ctd.prefix}-run"
    r = ctr(ctd, "run", "--runc-binary", str(ctd.wrapper.path), "--rm", "--env", "FOO=bar",
            "--cwd", "/tmp", IMAGE, cid, "sh", "-c", 'echo "hello $FOO"; pwd; exit 4')
    assert r.returncode == 4, r.stderr
    assert r.stdout == "hello bar\n/tmp\n"
    calls = ctd.wrapper.calls()
    assert [subcommand(a) for a in calls][:2] == ["create", "start"], calls
    assert "delete" in [subcommand(a) for a in calls]
    create = calls[0]
    # the shim's global flags: runc's --root, --log and --log-format json
    assert create[:2] == ["--root", f"/run/containerd/runc/{ctd.namespace}"], create
    assert "--log" in create and create[create.index("--log-format") + 1] == "json", create
    assert "--bundle" in create and "--pid-file" in create and create[-1] == cid, create
    assert ctr(ctd, "containers", "ls", "-q").stdout.strip() == ""


def test_read_only_mount_and_caps(ctd, test_dir):
    # ctr 1.6 has no --user: the user is left to the image (root here)
    cid = f"{ctd.prefix}-ro"
    vol = test_dir / "vol"
    vol.mkdir()
    (vol / "in.txt").write_text("from the host\n")
    r = ctr(ctd, "run", "--runc-binary", str(ctd.wrapper.path), "--rm", "--read-only",
            "--mount", f"type=bind,src={vol},dst=/data,options=rbind:rw",
            "--cap-drop", "CAP_SYS_ADMIN", IMAGE, cid, "sh", "-c",
            "cat /data/in.txt; echo from the container > /data/out.txt; "
            "touch /x 2>&1; grep CapEff /proc/self/status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "from the host", r.stdout
    assert "Read-only file system" in lines[1], r.stdout
    cap_eff = int(lines[2].split()[1], 16)
    assert cap_eff != 0 and not cap_eff & (1 << 21), "CAP_SYS_ADMIN (21) dropped"
    assert (vol / "out.txt").read_text() == "from the container\n"


def _interfaces(text):
    return sorted(line.split(":")[0].strip() for line in text.splitlines()[2:])


def test_network_private_and_host(ctd):
    cid = f"{ctd.prefix}-net"
    r = ctr(ctd, "run", "--runc-binary", str(ctd.wrapper.path), "--rm", IMAGE, cid,
            "cat", "/proc/net/dev")
    assert r.returncode == 0 and _interfaces(r.stdout) == ["lo"], r.stdout + r.stderr
    r = ctr(ctd, "run", "--runc-binary", str(ctd.wrapper.path), "--rm", "--net-host", IMAGE,
            cid, "cat", "/proc/net/dev")
    assert r.returncode == 0, r.stderr
    with open("/proc/net/dev") as f:
        assert _interfaces(r.stdout) == _interfaces(f.read())


def test_tty(ctd):
    cid = f"{ctd.prefix}-tty"
    inner = shlex.join(["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--runc-binary",
                        str(ctd.wrapper.path), "--rm", "-t", IMAGE, cid, "sh", "-c",
                        "tty; exit 3"])
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    print(r.stdout, r.stderr)
    assert "/dev/pts/0" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 3, r.stdout + r.stderr
    create = next(a for a in ctd.wrapper.calls() if subcommand(a) == "create")
    assert "--console-socket" in create, create


def test_detached_exec_and_kill(ctd):
    cid = f"{ctd.prefix}-d"
    r = ctr(ctd, "run", "-d", "--runc-binary", str(ctd.wrapper.path), IMAGE, cid,
            "sh", "-c", "while :; do sleep 0.2; done")
    assert r.returncode == 0, r.stderr
    assert task_status(ctd, cid) == "RUNNING"
    r = ctr(ctd, "tasks", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo in exec; exit 5")
    assert r.returncode == 5 and r.stdout == "in exec\n", r.stderr
    r = ctr(ctd, "tasks", "ps", cid)
    assert r.returncode == 0 and len(r.stdout.splitlines()) >= 2, r.stdout
    assert ctr(ctd, "tasks", "pause", cid).returncode == 0
    assert task_status(ctd, cid) == "PAUSED"
    assert ctr(ctd, "tasks", "resume", cid).returncode == 0
    assert task_status(ctd, cid) == "RUNNING"
    assert ctr(ctd, "tasks", "kill", "-s", "SIGKILL", cid).returncode == 0
    deadline = time.monotonic() + 20
    while task_status(ctd, cid) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert task_status(ctd, cid) == "STOPPED"
    assert ctr(ctd, "tasks", "delete", cid).returncode == 0
    assert ctr(ctd, "containers", "delete", cid).returncode == 0
    calls = ctd.wrapper.calls()
    cmds = [subcommand(a) for a in calls]
    for c in ("create", "start", "exec", "ps", "pause", "resume", "kill", "delete"):
        assert c in cmds, (c, cmds)
    ex = calls[cmds.index("exec")]
    assert "--process" in ex and "--detach" in ex and "--pid-file" in ex, ex
    assert calls[cmds.index("kill")][-2:] == [cid, "9"], calls[cmds.index("kill")]


def test_kill_sigterm_reaches_init(ctd):
    cid = f"{ctd.prefix}-term"
    r = ctr(ctd, "run", "-d", "--runc-binary", str(ctd.wrapper.path), IMAGE, cid,
            "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")
    assert r.returncode == 0, r.stderr
    time.sleep(0.5)
    assert ctr(ctd, "tasks", "kill", cid).returncode == 0
    deadline = time.monotonic() + 20
    while task_status(ctd, cid) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.2)
    r = ctr(ctd, "tasks", "delete", cid)
    assert r.returncode == 0, r.stderr
    assert "exit code 7" in r.stderr, r.stderr
    assert ctr(ctd, "containers", "delete", cid).returncode == 0


def test_config_toml_runtime_entry(ctd, test_dir):
    """containerd parses contrib/clients/containerd-config.toml's runtime
    entry where the CRI plugin reads it (the CRI path itself needs a CRI
    client such as crictl, not packaged in Debian 12).  ctr cannot select a
    CRI runtime entry: `ctr run --runtime-config-path` does not reach the
    runc shim's BinaryName, so only --runc-binary is run above."""
    snippet = contrib_snippet("containerd-config.toml", ctd.wrapper.path)
    assert tomllib.loads(snippet)["version"] == 2
    path = test_dir / "config.toml"
    path.write_text(snippet)
    r = subprocess.run(["containerd", "--config", str(path), "config", "dump"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    dumped = tomllib.loads(r.stdout)
    cri = dumped["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]
    entry = cri["runtimes"]["ocirun"]
    assert entry["runtime_type"] == "io.containerd.runc.v2", entry
    assert entry["options"]["BinaryName"] == str(ctd.wrapper.path), entry
    assert entry["options"]["Root"] == "/run/containerd/ocirun", entry
    # containerd drops its built-in runc entry once a file names a runtime:
    # the snippet keeps it, as default_runtime_name still says "runc"
    assert cri["default_runtime_name"] == "runc"
    assert cri["runtimes"]["runc"]["runtime_type"] == "io.containerd.runc.v2"


# ---- limits (hybrid host: the v1 memory, pids and cpu controllers) ----------

def _v1(controller, *rel):
    return "/".join(("/sys/fs/cgroup", controller, *rel))


def _read(path):
    with open(path) as f:
        return f.read().strip()


def wait_stopped(c, cid, timeout=20):
    deadline = time.monotonic() + timeout
    while task_status(c, cid) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.2)
    return task_status(c, cid)


def test_memory_limit_and_cpus_flags(ctd):
    """`ctr run --memory-limit --cpus`: ctr's default spec mounts no cgroup
    filesystem, so the container sees its cgroup path in /proc/self/cgroup
    and the values are read on the host, in that cgroup; a 64 MiB buffer in
    a 32 MiB cgroup is OOM-killed."""
    cid = f"{ctd.prefix}-mem"
    r = ctr(ctd, "run", "-d", "--runc-binary", str(ctd.wrapper.path),
            "--memory-limit", str(32 << 20), "--cpus", "0.5", IMAGE, cid, "sleep", "1000")
    assert r.returncode == 0, r.stderr
    rel = (ctd.namespace, cid)
    r = ctr(ctd, "tasks", "exec", "--exec-id", "cg", cid, "grep", "memory:", "/proc/self/cgroup")
    assert r.stdout.strip() == f"4:memory:/{ctd.namespace}/{cid}" or \
        r.stdout.strip().endswith(f":memory:/{ctd.namespace}/{cid}"), r.stdout
    assert _read(_v1("memory", *rel, "memory.limit_in_bytes")) == str(32 << 20)
    assert _read(_v1("cpu", *rel, "cpu.cfs_quota_us")) == "50000"
    assert _read(_v1("cpu", *rel, "cpu.cfs_period_us")) == "100000"
    before = int(_read(_v1("memory", *rel, "memory.failcnt")))
    r = ctr(ctd, "tasks", "exec", "--exec-id", "hog", cid, "dd", "if=/dev/zero",
            "of=/dev/null", "bs=64M", "count=1")
    assert r.returncode == 137, (r.returncode, r.stderr)
    assert int(_read(_v1("memory", *rel, "memory.failcnt"))) > before
    oom = dict(line.split() for line in _read(_v1("memory", *rel,
                                                  "memory.oom_control")).splitlines())
    assert int(oom.get("oom_kill", "1")) >= 1, oom
    assert task_status(ctd, cid) == "RUNNING", "only the hog was killed"
    assert ctr(ctd, "tasks", "kill", "-s", "SIGKILL", cid).returncode == 0
    assert wait_stopped(ctd, cid) == "STOPPED"
    assert ctr(ctd, "tasks", "delete", cid).returncode == 0
    assert ctr(ctd, "containers", "delete", cid).returncode == 0


def test_limits_from_a_spec_file(ctd, test_dir):
    """`ctr run --config SPEC` (ctr has no pids flag): ctr's own default
    spec plus a read-only cgroup mount, memory 32 MiB, pids 8 and a CPU
    quota, through --runc-binary.  Inside: the values, a fork loop stopped at
    the limit, and a memory hog OOM-killed."""
    cid = f"{ctd.prefix}-spec"
    r = subprocess.run(["ctr", "oci", "spec"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)
    spec["root"] = {"path": str(busybox_rootfs(test_dir / "spec-rootfs")), "readonly": True}
    spec["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup",
                           "source": "cgroup", "options": ["ro", "nosuid", "noexec", "nodev"]})
    spec["linux"]["cgroupsPath"] = f"/{ctd.namespace}/{cid}"
    spec["linux"]["resources"] = {
        "memory": {"limit": 32 << 20},
        "pids": {"limit": 8},
        "cpu": {"quota": 20000, "period": 100000},
    }
    spec["process"]["env"] = ["PATH=/bin"]
    spec["process"]["args"] = [
        "sh", "-c",
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us; "
        "(i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
        "read c < /sys/fs/cgroup/pids/pids.current; read e < /sys/fs/cgroup/pids/pids.events; "
        "echo $c $e; kill -9 -1 2>/dev/null; sleep 0.3; "
        "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?"]
    path = test_dir / "spec.json"
    path.write_text(json.dumps(spec))
    r = ctr(ctd, "run", "--runc-binary", str(ctd.wrapper.path), "--rm", "--config", str(path),
            cid, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == [str(32 << 20), "8", "20000"], r.stdout
    current, _, failed = lines[3].split()
    assert int(current) <= 8 and int(failed) > 0, "forks beyond the limit failed"
    assert lines[4] == "dd=137", "the hog is OOM-killed (SIGKILL)"
    create = next(a for a in ctd.wrapper.calls() if subcommand(a) == "create")
    assert create[-1] == cid, create


def test_exec_with_a_pty_and_delete_force(ctd):
    """`ctr tasks exec -t` under script gets a pty (the shim puts the
    terminal in the process JSON and passes --console-socket); `ctr tasks
    delete --force` removes a running task (ctr's rm -f)."""
    cid = f"{ctd.prefix}-xt"
    r = ctr(ctd, "run", "-d", "--runc-binary", str(ctd.wrapper.path), IMAGE, cid,
            "sleep", "1000")
    assert r.returncode == 0, r.stderr
    inner = shlex.join(["ctr", "-a", ctd.sock, "-n", ctd.namespace, "tasks", "exec", "-t",
                        "--exec-id", "xt", cid, "sh", "-c", "tty; exit 5"])
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    print(r.stdout, r.stderr)
    assert "/dev/pts/" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 5, r.stdout + r.stderr
    ex = [a for a in ctd.wrapper.calls() if subcommand(a) == "exec"][-1]
    assert "--console-socket" in ex and "--process" in ex, ex
    assert task_status(ctd, cid) == "RUNNING"
    r = ctr(ctd, "tasks", "delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert task_status(ctd, cid) is None
    assert ctr(ctd, "containers", "delete", cid).returncode == 0
    # the shim: kill --all ID 9, then delete ID (and delete --force ID)
    kill = [a for a in ctd.wrapper.calls() if subcommand(a) == "kill"][-1]
    assert kill[-3:] == ["--all", cid, "9"], kill
