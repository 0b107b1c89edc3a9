"""Rootless podman 4.3 (Debian 12, with conmon) driving ocirun (issue #10).

A real unprivileged user, made and removed by each test
(ocitestlib.podman_rootless: subuid/subgid ranges, HOME, XDG_RUNTIME_DIR,
--root and --runroot in a private 0711 directory, the cgroupfs manager, an
image imported by that user from a busybox-static tarball), runs
`podman --runtime WRAPPER`.  podman runs conmon and ocirun inside its
rootless user namespace as uid 0 there, passing no --root: ocirun must see
that it is not the host's root (state in $XDG_RUNTIME_DIR/ocirun, device
nodes bind-mounted, no cgroup it may not create), as runc does.

On this hybrid host podman treats the rootless containers as cgroup v1
ones without a cgroup: it refuses pause/unpause and ignores --memory,
--pids-limit and --cpus ("not supported ... on cgroups V1 rootless
systems"); those tests skip with podman's own message.  Networking is
--network none or host (no slirp4netns needed).
"""

import shlex
import subprocess
import time

import pytest

from ocitestlib.clients import subcommand
from ocitestlib.podman_rootless import IMAGE, RootlessPodman, RootlessUnavailable

pytestmark = [pytest.mark.root, pytest.mark.slow]

V1_ROOTLESS = "cgroups V1 rootless"
@pytest.fixture
def rpm(ocirun):
    try:
        p = RootlessPodman.setup(ocirun)
    except RootlessUnavailable as e:
        print(f"SKIP rootless podman: {e}")
        pytest.skip(str(e))
    try:
        p.wrapper.log_path.write_text("")
        yield p
    finally:
        p.cleanup()
    assert p.pids_left() == [], "every process of the test user is gone"


def run(pm, *args, **kw):
    r = pm.podman(*args, **kw)
    print("podman", shlex.join(args), "->", r.returncode, r.stdout[-500:], r.stderr[-500:])
    return r


def detached(pm, name, *command):
    r = run(pm, "run", "-d", "--name", name, "--network", "none", IMAGE, *command)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def status(pm, name):
    return run(pm, "inspect", "--format", "{{.State.Status}}", name).stdout.strip()


def exit_code(pm, name):
    return run(pm, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()


def test_run_output_exit_code_and_userns(rpm):
    r = rpm.run([], "sh", "-c", "echo hello; echo to-stderr >&2; id -u; "
                "cat /proc/self/uid_map; exit 3")
    assert r.returncode == 3, r.stderr
    out = r.stdout.splitlines()
    assert out[:2] == ["hello", "0"], r.stdout
    assert "to-stderr" in r.stderr
    # root in the container is the user on the host, the rest its subuids
    maps = [line.split() for line in out[2:]]
    assert maps[0] == ["0", str(rpm.uid), "1"], maps
    assert ["1", str(rpm.subuid_ranges[0][0]), str(rpm.subuid_ranges[0][1])] in maps, maps
    calls = rpm.wrapper.calls()
    assert [subcommand(a) for a in calls][:2] == ["create", "start"], calls
    create = calls[0]
    # no global flags: ocirun picks $XDG_RUNTIME_DIR/ocirun itself
    assert create[0] == "create" and "--bundle" in create and "--pid-file" in create, create
    assert (rpm.xdg / "ocirun").is_dir(), "ocirun's state is under XDG_RUNTIME_DIR"
    assert "delete" in [subcommand(a) for a in calls]


def test_env_workdir_user(rpm):
    r = rpm.run(["-e", "FOO=bar baz", "-w", "/tmp", "--user", "65534:65534"], "sh", "-c",
                'echo "$FOO"; pwd; id -u; id -g; cat /proc/self/status')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["bar baz", "/tmp", "65534", "65534"], r.stdout
    # on the host: a subordinate uid of the user (0 is the user itself)
    uid_line = next(line for line in lines if line.startswith("Uid:"))
    assert uid_line.split()[1] == "65534"


def test_read_only_and_cap_drop_all(rpm):
    r = rpm.run(["--read-only"], "sh", "-c", "touch /x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r.stderr
    r = rpm.run(["--read-only"], "sh", "-c", "touch /tmp/x && echo tmp-writable")
    assert r.returncode == 0 and "tmp-writable" in r.stdout, r.stderr
    r = rpm.run(["--cap-drop", "ALL"], "grep", "Cap", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapBnd"] == "0000000000000000", caps
    r = rpm.run([], "grep", "CapEff", "/proc/self/status")
    assert int(r.stdout.split()[1], 16) != 0, "the default set is not empty"


def test_volume_read_write(rpm):
    vol = rpm.base / "vol"
    vol.mkdir()
    (vol / "in.txt").write_text("from the host\n")
    rpm._own(vol, 0o755)
    rpm._own(vol / "in.txt", 0o644)
    r = rpm.run(["-v", f"{vol}:/data"], "sh", "-c",
                "cat /data/in.txt; echo from the container > /data/out.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from the host\n"
    assert (vol / "out.txt").read_text() == "from the container\n"
    # container root is the user on the host
    assert (vol / "out.txt").stat().st_uid == rpm.uid
    r = rpm.run(["-v", f"{vol}:/data:ro"], "sh", "-c", "echo x > /data/out.txt")
    assert r.returncode != 0 and "Read-only" in r.stderr, r.stderr


def test_detached_exec_top_logs_rm(rpm):
    name = "ocipm-d"
    detached(rpm, name, "sh", "-c", "echo started; while :; do sleep 0.2; done")
    r = run(rpm, "exec", "-e", "X=1", name, "sh", "-c", "echo in exec $X; id -u; exit 6")
    assert r.returncode == 6 and r.stdout == "in exec 1\n0\n", r.stderr
    r = run(rpm, "top", name)
    assert r.returncode == 0 and "while :" in r.stdout, r.stderr
    r = run(rpm, "ps", "--format", "{{.Names}} {{.Status}}")
    assert r.returncode == 0 and r.stdout.startswith(f"{name} Up"), r.stdout
    r = run(rpm, "logs", name)
    assert r.returncode == 0 and "started" in r.stdout, r.stderr
    r = run(rpm, "rm", "-f", "--time", "2", name)
    assert r.returncode == 0, r.stderr
    assert run(rpm, "ps", "-aq").stdout.strip() == ""
    calls = rpm.wrapper.calls()
    cmds = [subcommand(a) for a in calls]
    for c in ("create", "start", "exec", "kill", "delete"):
        assert c in cmds, (c, cmds)
    ex = calls[cmds.index("exec")]
    assert "--process" in ex and "--detach" in ex and "--pid-file" in ex, ex


def test_exec_and_run_with_a_pty(rpm):
    name = "ocipm-t"
    detached(rpm, name, "sleep", "1000")
    inner = shlex.join(rpm.argv("exec", "-it", name, "sh", "-c", "tty; exit 2"))
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       env=rpm.env(), cwd="/", stdin=subprocess.DEVNULL, timeout=60)
    print(r.stdout, r.stderr)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "/dev/pts/" in r.stdout, r.stdout
    ex = [a for a in rpm.wrapper.calls() if subcommand(a) == "exec"][-1]
    assert "--console-socket" in ex and "--tty" in ex, ex
    inner = shlex.join(rpm.argv("run", "--rm", "-it", "--network", "none", IMAGE,
                                "sh", "-c", "tty; exit 4"))
    r = subprocess.run(["script", "-qec", inner, "/dev/null"], capture_output=True, text=True,
                       env=rpm.env(), cwd="/", stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 4 and "/dev/pts/0" in r.stdout, r.stdout + r.stderr
    create = [a for a in rpm.wrapper.calls() if subcommand(a) == "create"][-1]
    assert "--console-socket" in create, create


def test_stop_sigterm_restart_kill(rpm):
    name = "ocipm-s"
    detached(rpm, name, "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done")
    time.sleep(0.5)
    t0 = time.monotonic()
    r = run(rpm, "stop", "-t", "20", name)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 15, "SIGTERM stopped it, not the SIGKILL fallback"
    assert exit_code(rpm, name) == "7"
    kills = [a[-1] for a in rpm.wrapper.calls() if subcommand(a) == "kill"]
    assert kills[0] == "15", kills
    r = run(rpm, "restart", name)
    assert r.returncode == 0 and status(rpm, name) == "running", r.stderr
    assert run(rpm, "kill", name).returncode == 0
    deadline = time.monotonic() + 20
    while status(rpm, name) == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status(rpm, name) == "exited"
    assert exit_code(rpm, name) == "137"
    kills = [a[-1] for a in rpm.wrapper.calls() if subcommand(a) == "kill"]
    assert kills[-1] == "9", kills
    assert run(rpm, "rm", name).returncode == 0


def _interfaces(text):
    return sorted(line.split(":")[0].strip() for line in text.splitlines()[2:])


def test_network_none_and_host(rpm):
    r = rpm.run([], "cat", "/proc/net/dev")
    assert r.returncode == 0, r.stderr
    assert _interfaces(r.stdout) == ["lo"], r.stdout
    r = run(rpm, "run", "--rm", "--network", "host", IMAGE, "cat", "/proc/net/dev")
    assert r.returncode == 0, r.stderr
    with open("/proc/net/dev") as f:
        assert _interfaces(r.stdout) == _interfaces(f.read())


def test_pause_unpause(rpm):
    name = "ocipm-p"
    detached(rpm, name, "sleep", "1000")
    r = run(rpm, "pause", name)
    if r.returncode != 0 and "cgroup V1" in r.stderr:
        assert status(rpm, name) == "running"
        assert "pause" not in [subcommand(a) for a in rpm.wrapper.calls()]
        pytest.skip("podman refuses pause for rootless containers on cgroup v1 (no "
                    f"delegated cgroup on this host): {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    assert status(rpm, name) == "paused"
    assert run(rpm, "unpause", name).returncode == 0
    assert status(rpm, name) == "running"


def test_limits(rpm):
    r = rpm.run(["--memory", "64m", "--pids-limit", "20", "--cpus", "0.5"], "sh", "-c",
                "cat /proc/self/cgroup")
    if V1_ROOTLESS in r.stderr:
        assert r.returncode == 0, r.stderr
        pytest.skip("rootless limits need a delegated cgroup (cgroup v2 with systemd), which "
                    f"this hybrid host lacks; podman says: {r.stderr.strip().splitlines()[0]}")
    # a host with a delegated cgroup v2 subtree: the limits are set
    assert r.returncode == 0, r.stderr
    r = rpm.run(["--memory", "64m", "--pids-limit", "20"], "sh", "-c",
                "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max")
    assert r.returncode == 0 and r.stdout.split() == [str(64 << 20), "20"], r.stdout
