"""Docker 20.10 (Debian 12, docker.io) driving ocirun (issue #10).

The fixture starts a private containerd (ocitestlib.clients.Containerd) and a
dockerd that uses it (ocitestlib.clients.Dockerd: its own socket, data-root
and exec-root in /tmp, vfs storage, cgroupfs driver, --iptables=false
--bridge=none, --cgroup-parent named after the test's id prefix, and
--add-runtime ocirun=WRAPPER, WRAPPER logging every command line the shim
passes to ocirun).  The image is `docker load`ed from a tarball written by
hand (no registry).  Both daemons are stopped by PID and their directories
removed, also when a test fails.  Skips with the reason when Docker is not
installed.
"""

import contextlib
import shlex
import subprocess
import time

import pytest

from cgroupops_util import is_hybrid
from ocitestlib.clients import (ClientUnavailable, Containerd, Dockerd, RuntimeWrapper,
                                cgroup_tree_exists, contrib_snippet, image_archive,
                                remove_cgroup_tree, subcommand)

pytestmark = [pytest.mark.root, pytest.mark.slow]

IMAGE = "localhost/ocirun-test-busybox:latest"


@contextlib.contextmanager
def docker_daemon(ocirun, test_dir, test_prefix, snippet=False):
    """SNIPPET: the runtime comes from contrib/clients/docker-daemon.json
    instead of --add-runtime."""
    wrapper = RuntimeWrapper(test_dir, ocirun)
    parent = f"/ocirun-test-{test_prefix}"
    c = d = None
    try:
        archive = image_archive(test_dir, IMAGE)
        c = Containerd.start(f"ocirun-test-{test_prefix}")
        if snippet:
            d = Dockerd.start(c, None, parent,
                              daemon_json=contrib_snippet("docker-daemon.json", wrapper.path))
        else:
            d = Dockerd.start(c, str(wrapper.path), parent)
        r = d.docker("load", "-i", str(archive))
        assert r.returncode == 0, r.stderr
        d.wrapper = wrapper
        d.prefix = test_prefix
        d.parent = parent
        yield d
    except ClientUnavailable as e:
        print(f"SKIP docker: {e}")
        pytest.skip(str(e))
    finally:
        if d is not None:
            d.stop()
        if c is not None:
            c.stop()
        remove_cgroup_tree(parent)
    assert cgroup_tree_exists(parent) == [], "the cgroup parent is removed"


@pytest.fixture
def dk(ocirun, test_dir, test_prefix):
    with docker_daemon(ocirun, test_dir, test_prefix) as d:
        yield d


def docker(d, *args, **kw):
    r = d.docker(*args, **kw)
    print("docker", shlex.join(args), "->", r.returncode, r.stdout[-500:], r.stderr[-500:])
    return r


def run(d, *args, network="none"):
    return docker(d, "run", "--rm", "--runtime", "ocirun", "--network", network, *args)


def detached(d, name, *command):
    r = docker(d, "run", "-d", "--name", name, "--runtime", "ocirun", "--network", "none",
               IMAGE, *command)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def status(d, name):
    return docker(d, "inspect", "--format", "{{.State.Status}}", name).stdout.strip()


def wait_status(d, name, want, timeout=20):
    deadline = time.monotonic() + timeout
    while status(d, name) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return status(d, name)


def test_run_output_exit_code_env_user(dk):
    r = run(dk, IMAGE, "sh", "-c", "echo hello; echo oops >&2; exit 3")
    assert r.returncode == 3 and r.stdout == "hello\n" and "oops" in r.stderr, r
    r = run(dk, "-e", "FOO=bar baz", "-w", "/tmp", "--user", "65534:65534", IMAGE, "sh", "-c",
            'echo "$FOO"; pwd; id -u; id -g')
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:4] == ["bar baz", "/tmp", "65534", "65534"]
    calls = dk.wrapper.calls()
    assert [subcommand(a) for a in calls][:2] == ["create", "start"], calls
    create = calls[0]
    assert create[:2] == ["--root", f"{dk.dir}/exec/runtime-runc/moby"], create
    assert create[create.index("--log-format") + 1] == "json", create


def test_read_only_cap_drop_volume(dk, test_dir):
    r = run(dk, "--read-only", IMAGE, "sh", "-c", "touch /x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r.stderr
    r = run(dk, "--cap-drop", "ALL", IMAGE, "grep", "Cap", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapBnd"] == "0000000000000000", caps
    vol = test_dir / "vol"
    vol.mkdir()
    (vol / "in.txt").write_text("from the host\n")
    r = run(dk, "-v", f"{vol}:/data", IMAGE, "sh", "-c",
            "cat /data/in.txt; echo from the container > /data/out.txt")
    assert r.returncode == 0 and r.stdout == "from the host\n", r.stderr
    assert (vol / "out.txt").read_text() == "from the container\n"


def test_limits_seen_inside(dk):
    if not is_hybrid():
        pytest.skip("the v1 file names below need a hybrid cgroup host")
    r = run(dk, "--memory", "64m", "--pids-limit", "33", "--cpus", "0.5", IMAGE, "sh", "-c",
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us; grep memory: /proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[:3] == [str(64 << 20), "33", "50000"], r.stdout
    assert f"memory:{dk.parent}/" in lines[3], r.stdout


def test_limits_enforced(dk):
    """--pids-limit 8: a fork loop stops at the limit (pids.events counts
    the refused forks); --memory 32m: a 64 MiB buffer is OOM-killed."""
    r = run(dk, "--memory", "32m", "--memory-swap", "32m", "--pids-limit", "8", IMAGE,
            "sh", "-c", "(i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
                   "read c < /sys/fs/cgroup/pids/pids.current; "
                   "read e < /sys/fs/cgroup/pids/pids.events; echo $c $e; "
                   "kill -9 -1 2>/dev/null; sleep 0.3; "
                   "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo dd=$?")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    current, _, failed = lines[0].split()
    assert int(current) <= 8 and int(failed) > 0, r.stdout
    assert lines[1] == "dd=137", r.stdout


def test_detached_exec_top_pause_logs_rm(dk):
    name = f"{dk.prefix}-d"
    detached(dk, name, "sh", "-c", "echo started; while :; do sleep 0.2; done")
    r = docker(dk, "exec", "-e", "X=1", name, "sh", "-c", "echo in exec $X; exit 6")
    assert r.returncode == 6 and r.stdout == "in exec 1\n", r.stderr
    r = docker(dk, "top", name)
    assert r.returncode == 0 and "while :" in r.stdout, r.stderr
    assert docker(dk, "pause", name).returncode == 0
    assert status(dk, name) == "paused"
    assert docker(dk, "unpause", name).returncode == 0
    assert status(dk, name) == "running"
    r = docker(dk, "logs", name)
    assert r.returncode == 0 and "started" in r.stdout, r.stderr
    assert docker(dk, "rm", "-f", name).returncode == 0
    assert docker(dk, "ps", "-aq").stdout.strip() == ""
    cmds = dk.wrapper.commands()
    for c in ("create", "start", "exec", "ps", "pause", "resume", "kill", "delete"):
        assert c in cmds, (c, cmds)


def test_exec_and_run_with_a_pty(dk):
    name = f"{dk.prefix}-t"
    detached(dk, name, "sleep", "1000")
    for args, code in ((["exec", "-it", name], 2),
                       (["run", "--rm", "-it", "--runtime", "ocirun", "--network", "none",
                         IMAGE], 4)):
        inner = shlex.join(["/usr/bin/docker", *args, "sh", "-c", f"tty; exit {code}"])
        r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True,
                           text=True, env=dk.env, stdin=subprocess.DEVNULL, timeout=60)
        print(args, r.returncode, r.stdout, r.stderr)
        assert r.returncode == code and "/dev/pts/" in r.stdout, r.stdout + r.stderr
    calls = dk.wrapper.calls()
    ex = next(a for a in calls if subcommand(a) == "exec")
    # the shim passes no --tty: process.json has terminal true
    assert "--console-socket" in ex and "--process" in ex, ex
    create = [a for a in calls if subcommand(a) == "create"][-1]
    assert "--console-socket" in create, create


def test_stop_sigterm_kill_restart(dk):
    name = f"{dk.prefix}-s"
    detached(dk, name, "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")
    time.sleep(0.5)
    t0 = time.monotonic()
    assert docker(dk, "stop", "-t", "20", name).returncode == 0
    assert time.monotonic() - t0 < 15, "SIGTERM stopped it, not the SIGKILL fallback"
    assert docker(dk, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "7"
    assert docker(dk, "restart", name).returncode == 0
    assert status(dk, name) == "running"
    assert docker(dk, "kill", name).returncode == 0
    assert wait_status(dk, name, "exited") == "exited"
    assert docker(dk, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "137"
    kills = [a[-1] for a in dk.wrapper.calls() if subcommand(a) == "kill"]
    assert kills[0] == "15" and kills[-1] == "9", kills
    assert docker(dk, "rm", name).returncode == 0


def _interfaces(text):
    return sorted(line.split(":")[0].strip() for line in text.splitlines()[2:])


def test_network_none_and_host(dk):
    r = run(dk, IMAGE, "cat", "/proc/net/dev")
    assert r.returncode == 0 and _interfaces(r.stdout) == ["lo"], r.stdout + r.stderr
    r = run(dk, IMAGE, "cat", "/proc/net/dev", network="host")
    assert r.returncode == 0, r.stderr
    with open("/proc/net/dev") as f:
        assert _interfaces(r.stdout) == _interfaces(f.read())


def test_daemon_json_snippet(ocirun, test_dir, test_prefix):
    """contrib/clients/docker-daemon.json, as shipped (path replaced)."""
    with docker_daemon(ocirun, test_dir, test_prefix, snippet=True) as d:
        r = run(d, IMAGE, "sh", "-c", "echo via daemon.json")
        assert r.returncode == 0 and r.stdout == "via daemon.json\n", r.stderr
        assert d.wrapper.commands()[:2] == ["create", "start"]
