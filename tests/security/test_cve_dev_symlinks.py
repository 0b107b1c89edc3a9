"""CVE-2025-31133, CVE-2025-52565, CVE-2025-52881, CVE-2026-41579 and crun's
CVE-2026-47766 / CVE-2026-88264 / CVE-2026-88265: the rootfs replaces
`dev`, `dev/null`, `dev/console`, `dev/pts/0` or `dev/ptmx` with a symlink
to a host path, so that the runtime's device setup (bind-mounting /dev/null
over masked paths, creating device nodes, binding the pty over
/dev/console, opening ptmx) writes to, chmods, or mounts over a host file.

ocirun never follows a path under the rootfs with host privileges:
destinations are opened with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)
from an O_PATH fd of the root; a special destination must not be a symlink;
/dev/null used for masking is verified to be char 1:3 (fstat) before it is
bound; the console is bound from the pty fd onto an fd opened in-root; the
pty master is opened from the container's devpts and checked to be devpts.

Each case arms sentinels (a host file, a host directory), runs the bundle
(with and without a tmpfs at /dev in the config, with and without a
terminal), and asserts the sentinels and the host mount table unchanged; an
accepted run must show real devices inside."""

import os
import shutil
import socket

import pytest

from hostguard import HostGuard

pytestmark = pytest.mark.root

TARGETS = ["dev", "dev/null", "dev/console", "dev/pts/0", "dev/ptmx"]


class Console:
    """A console socket that accepts one master fd, kept open until close()
    (closing it early hangs up the init's controlling terminal)."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.master = None

    def drain(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            _msg, anc, _f, _a = conn.recvmsg(4096, socket.CMSG_SPACE(4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    self.master = int.from_bytes(data[:4], "little")

    def close(self):
        self.sock.close()
        if self.master is not None:
            os.close(self.master)


def plant(bundle, rel, target):
    p = bundle.rootfs / rel
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif p.exists() or p.is_symlink():
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, p)


def configure(bundle, dev_tmpfs, terminal):
    if not dev_tmpfs:
        bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                                   if m["destination"] != "/dev"]
    bundle.config["process"]["terminal"] = terminal
    bundle.set_args(["/bin/sh", "-c",
                     "stat -c '%n %F %t:%T' /dev/null /dev/ptmx; cat /proc/self/mountinfo"])


def run(bundle, run_ocirun, cid, terminal, test_dir):
    if not terminal:
        return run_ocirun("run", "--bundle", bundle.path, cid)
    console = Console(test_dir / f"console-{cid}.sock")
    try:
        import threading
        t = threading.Thread(target=console.drain)
        t.start()
        r = run_ocirun("create", "--console-socket", str(console.path), "--bundle", bundle.path,
                       cid)
        t.join(35)
        if r.returncode == 0:
            assert console.master is not None, "created with a terminal but no master was sent"
        run_ocirun("delete", "--force", cid)
        return r
    finally:
        console.close()


@pytest.mark.parametrize("terminal", [False, True], ids=["noterm", "term"])
@pytest.mark.parametrize("dev_tmpfs", [True, False], ids=["devtmpfs", "nodevtmpfs"])
@pytest.mark.parametrize("target", TARGETS)
def test_dev_symlink_to_host(bundle, run_ocirun, unique_id, test_dir, target, dev_tmpfs,
                             terminal):
    guard = HostGuard(test_dir)
    host_file = guard.file("host-file", mode=0o600)
    host_dir = guard.directory("host-dir")
    guard.arm()
    plant(bundle, target, str(host_dir if target == "dev" else host_file))
    configure(bundle, dev_tmpfs, terminal)
    r = run(bundle, run_ocirun, unique_id, terminal, test_dir)
    print(f"{target} tmpfs={dev_tmpfs} terminal={terminal}: rc={r.returncode} {r.stderr[-200:]}")
    if r.returncode != 0:
        assert r.returncode == 1 and "level=error" in r.stderr, r.stderr
    elif not terminal:
        assert "/dev/null character special file 1:3" in r.stdout, r.stdout
    guard.check()


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_masked_path_symlink_to_host(bundle, run_ocirun, unique_id, test_dir, kind):
    """maskedPaths / readonlyPaths entries that are symlinks in the rootfs to
    a host file and a host directory: masking binds /dev/null (or a tmpfs)
    and read-only remounts onto whatever the path names. Nothing may happen
    to the host file; a symlink is not followed out of the root."""
    guard = HostGuard(test_dir)
    host_file = guard.file("masked-file")
    host_dir = guard.directory("masked-dir")
    guard.arm()

    def link(path):
        return str(path) if kind == "absolute" else "../" * 12 + str(path).lstrip("/")

    (bundle.rootfs / "etc").mkdir(exist_ok=True)
    os.symlink(link(host_file), bundle.rootfs / "etc/masked-file")
    os.symlink(link(host_dir), bundle.rootfs / "etc/masked-dir")
    os.symlink(link(host_file), bundle.rootfs / "etc/ro-file")
    bundle.config["linux"]["maskedPaths"] += ["/etc/masked-file", "/etc/masked-dir"]
    bundle.config["linux"]["readonlyPaths"] += ["/etc/ro-file"]
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/mountinfo"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    print(f"masked {kind}: rc={r.returncode} {r.stderr[-200:]}")
    if r.returncode != 0:
        assert r.returncode == 1 and "level=error" in r.stderr, r.stderr
    guard.check()
    assert host_file.read_text() == "host sentinel, must not change\n"
