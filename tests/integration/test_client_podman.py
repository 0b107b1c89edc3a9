"""podman 4.3 (Debian 12, with conmon) driving ocirun, rootful (issue #10).

The harness is tests/lib/ocitestlib/podman.py: private --root/--runroot,
cgroupfs manager, an image imported from a busybox tarball (no registry),
containers.conf with capped default_ulimits.  --runtime is a wrapper
(ocitestlib.clients.RuntimeWrapper) that logs every command line podman's
conmon passes to ocirun; the tests check the subcommands and flags, and
docs/clients.md records them.  Skips with the reason when podman is missing.
"""

import shlex
import subprocess
import time

import pytest

from ocitestlib.clients import RuntimeWrapper, contrib_snippet, subcommand
from ocitestlib.podman import IMAGE, Podman, PodmanUnavailable

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture
def pm(ocirun, test_dir, test_prefix):
    wrapper = RuntimeWrapper(test_dir, ocirun)
    try:
        p = Podman.setup(test_dir / "podman", wrapper.path, f"/ocirun-test-{test_prefix}")
    except PodmanUnavailable as e:
        print(f"SKIP podman: {e}")
        pytest.skip(str(e))
    p.wrapper = wrapper
    p.prefix = test_prefix
    yield p
    p.cleanup()
    assert p.cgroup_dirs() == [], "the cgroup parent is removed"


def run(pm, *args, **kw):
    r = pm.podman(*args, **kw)
    print("podman", shlex.join(args), "->", r.returncode, r.stdout[-500:], r.stderr[-500:])
    return r


def detached(pm, name, *command, opts=()):
    r = run(pm, "run", "-d", "--name", name, "--network", "none", "--cgroup-parent",
            pm.cgroup_parent, *opts, IMAGE, *command)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def status(pm, name):
    r = run(pm, "inspect", "--format", "{{.State.Status}}", name)
    return r.stdout.strip()


def test_run_output_and_exit_code(pm):
    r = pm.run([], "sh", "-c", "echo hello from ocirun; echo to-stderr >&2; exit 3")
    assert r.returncode == 3, r.stderr
    assert r.stdout == "hello from ocirun\n"
    assert "to-stderr" in r.stderr
    cmds = pm.wrapper.commands()
    assert cmds[:2] == ["create", "start"], pm.wrapper.calls()
    assert "delete" in cmds
    create = pm.wrapper.calls()[0]
    assert "--bundle" in create and "--pid-file" in create, create


def test_env_workdir_user(pm):
    r = pm.run(["-e", "FOO=bar baz", "-w", "/tmp", "--user", "65534:65534"], "sh", "-c",
               'echo "$FOO"; pwd; id -u; id -g')
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:4] == ["bar baz", "/tmp", "65534", "65534"]


def test_read_only_and_cap_drop_all(pm):
    r = pm.run(["--read-only"], "sh", "-c", "touch /x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r.stderr
    r = pm.run(["--read-only"], "sh", "-c", "touch /tmp/x && echo tmp-writable")
    assert r.returncode == 0 and "tmp-writable" in r.stdout, r.stderr
    r = pm.run(["--cap-drop", "ALL"], "grep", "Cap", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapBnd"] == "0000000000000000", caps


def test_volume_read_write(pm, test_dir):
    vol = test_dir / "vol"
    vol.mkdir()
    (vol / "in.txt").write_text("from the host\n")
    r = pm.run(["-v", f"{vol}:/data"], "sh", "-c",
               "cat /data/in.txt; echo from the container > /data/out.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from the host\n"
    assert (vol / "out.txt").read_text() == "from the container\n"
    r = pm.run(["-v", f"{vol}:/data:ro"], "sh", "-c", "echo x > /data/out.txt")
    assert r.returncode != 0 and "Read-only" in r.stderr, r.stderr


def test_detached_exec_top_pause_logs(pm):
    name = f"{pm.prefix}-d"
    detached(pm, name, "sh", "-c", "echo started; while :; do sleep 0.2; done")
    r = run(pm, "exec", "-e", "X=1", name, "sh", "-c", 'echo in exec $X; exit 6')
    assert r.returncode == 6 and r.stdout == "in exec 1\n", r.stderr
    r = run(pm, "top", name)
    assert r.returncode == 0 and "while :" in r.stdout, r.stderr
    assert run(pm, "pause", name).returncode == 0
    assert status(pm, name) == "paused"
    assert run(pm, "unpause", name).returncode == 0
    assert status(pm, name) == "running"
    r = run(pm, "logs", name)
    assert r.returncode == 0 and "started" in r.stdout, r.stderr
    r = run(pm, "rm", "-f", name)
    assert r.returncode == 0, r.stderr
    assert run(pm, "ps", "-aq").stdout.strip() == ""
    cmds = pm.wrapper.commands()
    for c in ("create", "start", "exec", "pause", "resume", "kill", "delete"):
        assert c in cmds, (c, cmds)
    ex = next(a for a in pm.wrapper.calls() if subcommand(a) == "exec")
    assert "--process" in ex and "--detach" in ex and "--pid-file" in ex, ex


def test_exec_with_a_pty(pm):
    name = f"{pm.prefix}-t"
    detached(pm, name, "sleep", "1000")
    inner = shlex.join(pm.argv("exec", "-it", name, "sh", "-c", "tty; exit 2"))
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       env=pm.env, stdin=subprocess.DEVNULL, timeout=60)
    print(r.stdout, r.stderr)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "/dev/pts/" in r.stdout, r.stdout
    ex = [a for a in pm.wrapper.calls() if subcommand(a) == "exec"][-1]
    assert "--console-socket" in ex and "--tty" in ex, ex
    # run -it too: the init process gets the pty
    inner = shlex.join(pm.argv("run", "--rm", "-it", "--network", "none", "--cgroup-parent",
                               pm.cgroup_parent, IMAGE, "sh", "-c", "tty; exit 4"))
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       env=pm.env, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 4 and "/dev/pts/0" in r.stdout, r.stdout + r.stderr
    create = [a for a in pm.wrapper.calls() if subcommand(a) == "create"][-1]
    assert "--console-socket" in create, create


def test_stop_sigterm_kill_restart(pm):
    name = f"{pm.prefix}-s"
    # a trap: only a delivered SIGTERM makes it exit 7 quickly
    detached(pm, name, "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")
    t0 = time.monotonic()
    r = run(pm, "stop", "-t", "20", name)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 15, "SIGTERM stopped it, not the SIGKILL fallback"
    assert run(pm, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "7"
    kills = [a[-1] for a in pm.wrapper.calls() if subcommand(a) == "kill"]
    assert kills[0] == "15", kills
    r = run(pm, "restart", name)
    assert r.returncode == 0 and status(pm, name) == "running", r.stderr
    assert run(pm, "kill", name).returncode == 0
    deadline = time.monotonic() + 20
    while status(pm, name) == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status(pm, name) == "exited"
    assert run(pm, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "137"
    kills = [a[-1] for a in pm.wrapper.calls() if subcommand(a) == "kill"]
    assert kills[-1] == "9", kills
    assert run(pm, "rm", name).returncode == 0


def _interfaces(text):
    return sorted(line.split(":")[0].strip() for line in text.splitlines()[2:])


def test_network_none_and_host(pm):
    r = pm.run([], "cat", "/proc/net/dev")  # pm.run passes --network none
    assert r.returncode == 0, r.stderr
    assert _interfaces(r.stdout) == ["lo"], r.stdout
    r = pm.podman("run", "--rm", "--network", "host", "--cgroup-parent", pm.cgroup_parent,
                  IMAGE, "cat", "/proc/net/dev")
    assert r.returncode == 0, r.stderr
    with open("/proc/net/dev") as f:
        assert _interfaces(r.stdout) == _interfaces(f.read())


def test_containers_conf_snippet(pm):
    """contrib/clients/containers.conf as shipped (path replaced): podman
    picks ocirun with no --runtime.  The harness's own settings (capped
    ulimits, cgroupfs, file events) are added around it."""
    snippet = contrib_snippet("containers.conf", pm.wrapper.path)
    conf = snippet.replace("[engine]\n", '[engine]\ncgroup_manager = "cgroupfs"\n'
                           'events_logger = "file"\n', 1)
    pm.conf.write_text('[containers]\ndefault_ulimits = ["nofile=1024:1024", '
                       '"nproc=4096:4096"]\n' + conf)
    cmd = pm.argv("run", "--rm", "--network", "none", "--cgroup-parent", pm.cgroup_parent,
                  IMAGE, "sh", "-c", "echo via containers.conf", runtime=False)
    r = subprocess.run(cmd, capture_output=True, text=True, env=pm.env,
                       stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 0 and r.stdout == "via containers.conf\n", r.stderr
    assert pm.wrapper.commands()[:2] == ["create", "start"]
