"""Rootless podman driving ocirun: a real unprivileged user, made and removed
by the test.

    pm = RootlessPodman.setup(ocirun)       # user, dirs, image; may raise
    r = pm.run([], "sh", "-c", "id -u")      # podman run --rm ... as the user
    pm.cleanup()                             # always (also on failure)

setup() creates a user `ocipm<hex>` (useradd -M, its own group, /bin/sh)
with /etc/subuid and /etc/subgid ranges (useradd's own, else one added
above every existing range), and a 0711 base directory in /tmp holding:

  bin/ocirun          a copy of the binary under test (the build directory
                      may not be reachable by the user), and the
  bin/ocirun-wrapper  RuntimeWrapper that logs each argv (the log is owned
                      by the user, who runs conmon and ocirun)
  home/               HOME (0700, the user's): containers.conf, the image
                      store (--root, vfs)
  xdg/                XDG_RUNTIME_DIR (0700, the user's): podman's
                      libpod/tmp and ocirun's default --root, xdg/ocirun
  run/                --runroot (podman refuses one over 50 characters)

Every podman call runs as the user through setpriv with a clean
environment (PATH, HOME, USER, XDG_RUNTIME_DIR, XDG_CONFIG_HOME,
XDG_DATA_HOME, CONTAINERS_CONF).  podman then enters its rootless user
namespace (newuidmap/newgidmap with the subordinate ranges, kept alive by a
pause process, catatonit) and runs conmon and ocirun there as uid 0 of that
namespace, as it does for any rootless user.

No cgroups: this host is hybrid (podman sees cgroup v1) and has no systemd
to delegate a subtree, so podman gives the container a cgroupsPath that
ocirun may not create; ocirun (as runc) skips it with a warning.  Limits
and pause therefore are refused by podman itself.  No network setup:
containers use --network none or host (no slirp4netns, no netavark).

cleanup() runs `podman rm -af`, then SIGKILLs by pid every process of the
user or of its subordinate uids (the pause process, conmons, what a failed
test left running), deletes the user and its ranges and
removes the base directory.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import procs
from .clients import RuntimeWrapper, busybox_rootfs
from .subids import drop_ranges, ensure_range, pids_of_uids, ranges

IMAGE = "localhost/ocirun-test-busybox:latest"
CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class RootlessUnavailable(Exception):
    pass


class RootlessPodman:
    def __init__(self):
        self.name = "ocipm" + secrets.token_hex(4)
        self.uid = self.gid = None
        self.subuid_ranges = []
        self.created = False
        self.base = Path(tempfile.mkdtemp(prefix="ocipm-", dir="/tmp"))
        os.chmod(self.base, 0o711)
        self.home = self.base / "home"
        self.xdg = self.base / "xdg"
        self.runroot = self.base / "run"
        self.conf = self.home / "containers.conf"
        self.wrapper = None

    @classmethod
    def setup(cls, ocirun, timeout=120):
        for tool in ("podman", "conmon", "useradd", "userdel", "setpriv"):
            if shutil.which(tool) is None:
                raise RootlessUnavailable(f"{tool} is not installed")
        for tool in ("newuidmap", "newgidmap"):
            if shutil.which(tool) is None:
                raise RootlessUnavailable(f"{tool} is not installed (Debian package uidmap)")
        pm = cls()
        try:
            pm._make_user()
            pm._make_dirs(ocirun)
            pm._import_image(timeout)
        except BaseException:
            pm.cleanup()
            raise
        return pm

    def _make_user(self):
        subprocess.run(["useradd", "-M", "-d", str(self.home), "-U", "-s", "/bin/sh",
                        self.name], check=True, capture_output=True, timeout=30)
        self.created = True
        self.uid = int(subprocess.run(["id", "-u", self.name], check=True, capture_output=True,
                                      text=True).stdout)
        self.gid = int(subprocess.run(["id", "-g", self.name], check=True, capture_output=True,
                                      text=True).stdout)
        self.subuid = ensure_range("/etc/subuid", self.name)
        self.subgid = ensure_range("/etc/subgid", self.name)
        self.subuid_ranges = [(s, c) for n, s, c in ranges("/etc/subuid") if n == self.name]

    def owns_uid(self, uid):
        """The user's own uid or one of its subordinate uids (what a
        container process of the user runs as on the host)."""
        return uid == self.uid or any(s <= uid < s + c for s, c in self.subuid_ranges)

    def _own(self, path, mode):
        os.chmod(path, mode)
        os.chown(path, self.uid, self.gid)

    def _make_dirs(self, ocirun):
        bindir = self.base / "bin"
        bindir.mkdir(mode=0o755)
        os.chmod(bindir, 0o755)
        shutil.copy(ocirun, bindir / "ocirun")
        os.chmod(bindir / "ocirun", 0o755)
        self.ocirun = bindir / "ocirun"
        self.wrapper = RuntimeWrapper(bindir, self.ocirun)
        self.wrapper.log_path.touch()
        self._own(self.wrapper.log_path, 0o644)
        for d in (self.home, self.xdg, self.runroot):
            d.mkdir()
            self._own(d, 0o700)
        self.conf.write_text(CONF)
        self._own(self.conf, 0o644)

    def _import_image(self, timeout):
        tardir = self.base / "image"
        tardir.mkdir()
        rootfs = busybox_rootfs(tardir / "rootfs")
        tarball = tardir / "image.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        os.chmod(tardir, 0o755)
        os.chmod(tarball, 0o644)
        r = self.podman("import", str(tarball), IMAGE, timeout=timeout)
        if r.returncode != 0:
            raise RootlessUnavailable(f"rootless podman import failed: {r.stderr.strip()}")

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.home),
                "USER": self.name, "LOGNAME": self.name,
                "XDG_RUNTIME_DIR": str(self.xdg),
                "XDG_CONFIG_HOME": str(self.home / ".config"),
                "XDG_DATA_HOME": str(self.home / ".local" / "share"),
                "CONTAINERS_CONF": str(self.conf)}

    def as_user(self):
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups"]

    def argv(self, *args, runtime=True):
        """podman ARGS as the user (RUNTIME: with --runtime WRAPPER, else
        containers.conf's choice)."""
        return [*self.as_user(), "podman", "--root", str(self.home / "storage"),
                "--runroot", str(self.runroot), "--storage-driver", "vfs",
                *(["--runtime", str(self.wrapper.path)] if runtime else []),
                "--cgroup-manager", "cgroupfs", *args]

    def podman(self, *args, timeout=120, runtime=True):
        # through files: a detached container's conmon keeps pipes open
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(self.argv(*args, runtime=runtime), stdin=subprocess.DEVNULL,
                               stdout=out, stderr=err, env=self.env(), cwd="/",
                               timeout=timeout)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(p.args, p.returncode,
                                               out.read().decode(errors="replace"),
                                               err.read().decode(errors="replace"))

    def run(self, opts, *command, timeout=120):
        """`podman run --rm --network none [OPTS] IMAGE COMMAND...`."""
        return self.podman("run", "--rm", "--network", "none", *opts, IMAGE, *command,
                           timeout=timeout)

    def pids_left(self):
        if self.uid is None:
            return []
        return [p for p in pids_of_uids(self.owns_uid) if procs.alive(p)]

    def cleanup(self):
        if self.created and self.uid is not None:
            if (self.home / "storage").exists():
                try:
                    self.podman("rm", "--all", "--force", "--time", "0", timeout=60)
                except subprocess.TimeoutExpired:
                    pass
            # the pause process, conmons and container processes left: by pid
            # (a conmon may still be exiting or reaping: a few rounds)
            for _ in range(10):
                pids = self.pids_left()
                if not pids:
                    break
                procs.kill_pids(pids)
                time.sleep(0.3)
        if self.created:
            subprocess.run(["userdel", self.name], capture_output=True, timeout=30)
            for path in ("/etc/subuid", "/etc/subgid"):
                drop_ranges(path, self.name)
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.base)], check=False)
