"""SCMP_ACT_NOTIFY with linux.seccomp.listenerPath (config-linux.md "The
Container Process State"), driven through the real `ocirun run/create/exec`.

The seccomp agent is a thread of the test: it listens on a unix socket,
receives the container process state (JSON) with the listener fd
(SCM_RIGHTS), checks them, and answers notifications with the
SECCOMP_IOCTL_NOTIF_RECV / SECCOMP_IOCTL_NOTIF_SEND ioctls: mkdir/mkdirat
"succeed" without creating anything, fchmodat/chmod fail with EDQUOT.
"""

import errno
import fcntl
import json
import os
import select
import socket
import struct
import threading

import pytest
from seccomp_util import NOBODY, RootlessSetup

pytestmark = pytest.mark.root

# linux/seccomp.h: struct seccomp_notif is 80 bytes (id u64, pid u32, flags
# u32, struct seccomp_data 64), struct seccomp_notif_resp 24 (id u64, val
# s64, error s32, flags u32); _IOWR('!', nr, size).
NOTIF_SIZE, RESP_SIZE = 80, 24


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


NOTIF_RECV, NOTIF_SEND = _iowr(0, NOTIF_SIZE), _iowr(1, RESP_SIZE)
NR_NAMES = {83: "mkdir", 258: "mkdirat", 90: "chmod", 268: "fchmodat", 452: "fchmodat2"}


class Agent:
    """A seccomp agent: one thread accepting, one per received listener."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.states = []     # (state dict, number of fds)
        self.handled = []    # syscall names answered
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
                rest = conn.recv(1 << 16)  # the runtime closes after one state
                while rest:
                    data += rest
                    rest = conn.recv(1 << 16)
            self.states.append((json.loads(data), len(fds)))
            for fd in fds[1:]:
                os.close(fd)
            if fds:
                t = threading.Thread(target=self._serve, args=(fds[0],), daemon=True)
                self.threads.append(t)
                t.start()

    def _serve(self, fd):
        try:
            while not self.stop.is_set():
                r, _, x = select.select([fd], [], [fd], 0.2)
                if x:
                    return
                if not r:
                    continue
                buf = bytearray(NOTIF_SIZE)
                try:
                    fcntl.ioctl(fd, NOTIF_RECV, buf)
                except OSError as e:
                    if e.errno in (errno.ENOENT, errno.EINTR):
                        continue  # the target died or was interrupted meanwhile
                    return        # ENOTCONN etc.: no more filters
                nid, pid, flags, nr = struct.unpack_from("=QIIi", buf)
                name = NR_NAMES.get(nr, str(nr))
                self.handled.append(name)
                err = 0 if name.startswith("mkdir") else -errno.EDQUOT
                resp = bytearray(struct.pack("=QqiI", nid, 0, err, 0))
                try:
                    fcntl.ioctl(fd, NOTIF_SEND, resp)
                except OSError:
                    pass
        except Exception as e:  # noqa: BLE001 -- reported by the test
            self.errors.append(repr(e))
        finally:
            os.close(fd)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(5)
        self.sock.close()


@pytest.fixture
def agent(tmp_path):
    a = Agent(tmp_path / "agent.sock")
    yield a
    a.close()


def notify_profile(agent, metadata="io.example=1", names=("mkdir", "mkdirat")):
    prof = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": agent.path,
        "syscalls": [
            {"names": list(names), "action": "SCMP_ACT_NOTIFY"},
            {"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_NOTIFY"},
        ],
    }
    if metadata is not None:
        prof["listenerMetadata"] = metadata
    return prof


def check_state(state, nfds, container_id, bundle, status):
    assert nfds == 1
    assert state["fds"] == ["seccompFd"]
    assert state["ociVersion"]
    assert isinstance(state["pid"], int) and state["pid"] > 0
    st = state["state"]
    assert st["id"] == container_id and st["status"] == status
    assert st["bundle"] == str(bundle.path)
    assert "ocirun" not in st  # the runtime's private bookkeeping stays private


def test_run_agent_answers(bundle, run_ocirun, unique_id, agent):
    bundle.set_writable()
    bundle.config["linux"]["seccomp"] = notify_profile(agent)
    bundle.set_args(["/bin/sh", "-c",
                     "mkdir /tmp/d; echo mkdir=$?; test -d /tmp/d && echo exists || echo absent;"
                     " touch /tmp/f; chmod 600 /tmp/f; echo chmod=$?"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert "mkdir=0" in r.stdout and "absent" in r.stdout, (r.stdout, r.stderr)
    assert "chmod=1" in r.stdout and "Disk quota exceeded" in r.stderr
    assert agent.errors == []
    assert len(agent.states) == 1
    state, nfds = agent.states[0]
    check_state(state, nfds, unique_id, bundle, "creating")
    assert state["metadata"] == "io.example=1"
    assert state["state"]["pid"] == state["pid"]
    assert "mkdir" in agent.handled or "mkdirat" in agent.handled


def test_exec_sends_its_own_listener(bundle, run_ocirun, unique_id, agent):
    bundle.set_writable()
    bundle.config["linux"]["seccomp"] = notify_profile(agent, metadata=None)
    bundle.set_args(["/bin/sleep", "30"])
    assert run_ocirun("create", "--bundle", bundle.path, unique_id).returncode == 0
    try:
        assert len(agent.states) == 1
        r = run_ocirun("start", unique_id)
        assert r.returncode == 0, r.stderr
        r = run_ocirun("exec", unique_id, "/bin/sh", "-c",
                       "mkdir /tmp/e; echo mkdir=$?; test -d /tmp/e || echo absent")
        assert r.returncode == 0, r.stderr
        assert "mkdir=0" in r.stdout and "absent" in r.stdout, (r.stdout, r.stderr)
        assert len(agent.states) == 2
        init_state, _ = agent.states[0]
        state, nfds = agent.states[1]
        check_state(state, nfds, unique_id, bundle, "running")
        assert "metadata" not in state
        assert state["state"]["pid"] == init_state["pid"]
        assert state["pid"] != init_state["pid"]  # the exec'd process, not the init
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_missing_agent_fails_cleanly(bundle, run_ocirun, tmp_root, unique_id, tmp_path):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(tmp_path / "nobody.sock"),
        "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert "connect to the seccomp agent" in r.stderr and "nobody.sock" in r.stderr
    assert not (tmp_root / unique_id).exists()


@pytest.mark.parametrize("profile,message", [
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"}]},
     "SCMP_ACT_NOTIFY needs listenerPath"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"},
     "linux.seccomp.listenerMetadata: set without listenerPath"),
])
def test_listener_config_refused(bundle, run_ocirun, tmp_root, unique_id, profile, message):
    bundle.config["linux"]["seccomp"] = profile
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert message in r.stderr
    assert not (tmp_root / unique_id).exists()


def test_rootless_agent(ocitest_bin, ocirun, make_id):
    """An unprivileged caller gets its listener to its own agent too."""
    setup = RootlessSetup(ocitest_bin, ocirun)
    agent = None
    try:
        sock_dir = setup.top / "agent"
        sock_dir.mkdir()
        os.chown(sock_dir, NOBODY, NOBODY)
        agent = Agent(sock_dir / "agent.sock")
        os.chmod(agent.path, 0o777)
        b = setup.bundle
        b.config["linux"]["seccomp"] = notify_profile(agent)
        b.set_args(["/bin/sh", "-c", "mkdir /tmp/d; echo mkdir=$?; test -d /tmp/d || echo absent"])
        cid = make_id()
        r = setup.run("run", "--bundle", str(b.path), cid)
        assert r.returncode == 0, r.stderr
        assert "mkdir=0" in r.stdout and "absent" in r.stdout, (r.stdout, r.stderr)
        assert len(agent.states) == 1 and agent.errors == []
        check_state(*agent.states[0], cid, b, "creating")
    finally:
        if agent is not None:
            agent.close()
        setup.close()
