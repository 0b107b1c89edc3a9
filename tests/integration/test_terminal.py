"""process.terminal with --console-socket: runc's protocol (one message on
a SOCK_STREAM unix socket, payload the master's name "/dev/ptmx", the pty
master in SCM_RIGHTS), a working pty, process.consoleSize applied.

ConsoleReceiver plays the part of runc's `recvtty`."""

import array
import os
import select
import socket
import time

import pytest

pytestmark = pytest.mark.root


class ConsoleReceiver:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.master = None
        self.name = None

    def receive(self):
        conn, _ = self.sock.accept()
        with conn:
            fds = array.array("i")
            msg, ancdata, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        assert len(fds) == 1, f"expected one fd, got {list(fds)}"
        self.name = msg.decode()
        self.master = fds[0]
        return self.master

    def read_until(self, needle, timeout=10):
        """Reads the master until needle shows up; returns all that was read."""
        out = b""
        deadline = time.monotonic() + timeout
        while needle.encode() not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen on the console; got {out!r}")
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: every slave is closed
                break
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace")

    def close(self):
        if self.master is not None:
            os.close(self.master)
            self.master = None
        self.sock.close()


@pytest.fixture
def console(test_dir):
    rcv = ConsoleReceiver(test_dir / "console.sock")
    yield rcv
    rcv.close()


@pytest.fixture
def tty_bundle(bundle):
    bundle.config["process"]["terminal"] = True
    bundle.write()
    return bundle


def test_console_socket_gets_a_working_pty(run_ocirun, tmp_root, tty_bundle, console,
                                           unique_id):
    # Not an interactive shell: busybox ash's line editing queries the
    # cursor position (ESC[6n) and would swallow input typed too early.
    tty_bundle.set_args(["/bin/sh", "-c", "tty; read line; echo hi-$line"])
    r = run_ocirun("create", "--bundle", tty_bundle.path, "--console-socket", console.path,
                   unique_id, timeout=30)
    assert r.returncode == 0, r.stderr
    console.receive()
    assert console.name == "/dev/ptmx"  # what runc sends
    run_ocirun("start", unique_id, check=True)
    out = console.read_until("/dev/pts/")
    assert "/dev/pts/0" in out  # the container's own devpts
    os.write(console.master, b"42\n")  # input through the pty reaches the process
    out += console.read_until("hi-42")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = run_ocirun("state", unique_id, check=True).stdout
        if '"stopped"' in st:
            break
        time.sleep(0.05)
    assert '"stopped"' in st
    run_ocirun("delete", unique_id, check=True)


def test_console_size_applied(run_ocirun, tmp_root, tty_bundle, console, unique_id):
    tty_bundle.config["process"]["consoleSize"] = {"height": 33, "width": 77}
    tty_bundle.set_args(["/bin/sh", "-c", "echo size=$(stty size); sleep 1000"])
    run_ocirun("create", "--bundle", tty_bundle.path, "--console-socket", console.path,
               unique_id, check=True)
    console.receive()
    run_ocirun("start", unique_id, check=True)
    out = console.read_until("size=33 77")
    assert "size=33 77" in out
    run_ocirun("delete", "-f", unique_id, check=True)


def test_console_socket_missing(run_ocirun, tmp_root, tty_bundle, test_dir, unique_id):
    tty_bundle.set_args(["/bin/true"])
    missing = test_dir / "nobody-listens.sock"
    r = run_ocirun("create", "--bundle", tty_bundle.path, "--console-socket", missing,
                   unique_id)
    assert r.returncode == 1
    assert f"connect to console socket `{missing}`" in r.stderr
    assert not (tmp_root / unique_id).exists()


def test_foreground_run_from_a_tty(ocirun, tmp_root, tty_bundle, unique_id):
    """`run` with a terminal and no console socket proxies our tty: raw mode
    while it runs, the window size passed on (also on SIGWINCH), the tty's
    settings restored at exit."""
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    tty_bundle.set_args(["/bin/sh", "-c",
                         "read line; echo got-$line; stty size; "
                         "trap 'stty size' WINCH; echo waiting; read line2; echo done"])
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 60, 0, 0))
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([str(ocirun), "--root", str(tmp_root), "run", "--bundle",
                             str(tty_bundle.path), unique_id],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    rcv = ConsoleReceiver.__new__(ConsoleReceiver)
    rcv.master = master
    try:
        os.write(master, b"abc\r")
        out = rcv.read_until("waiting")  # one read may hold several lines
        assert "got-abc" in out and "20 60" in out, out
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO  # raw
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 90, 0, 0))
        os.kill(proc.pid, 28)  # SIGWINCH, as the terminal would send it
        out = rcv.read_until("30 90")
        assert "30 90" in out
        os.write(master, b"x\r")
        # the trap may end the `read` early: "done" can come with "30 90"
        if "done" not in out:
            rcv.read_until("done")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)
