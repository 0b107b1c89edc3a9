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

import shlex
import subprocess
import time
import tomllib

import pytest

from ocitestlib.clients import (ClientUnavailable, Containerd, RuntimeWrapper,
                                cgroup_tree_exists, contrib_snippet, image_archive,
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
