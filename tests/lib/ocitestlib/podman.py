"""podman driving ocirun, with nothing shared with the host's podman.

    pm = Podman.setup(workdir, ocirun, cgroup_parent="/ocirun-test-XXXX")
    r = pm.run(["--memory", "64m"], "sh", "-c", "cat /sys/fs/cgroup/...")
    pm.cleanup()

Everything lives under `workdir`: the image store (--root, vfs driver so no
overlay mount is left behind), the run state (--runroot: a short directory in /tmp, removed by cleanup(); libpod's
--tmpdir inside it), containers.conf
(CONTAINERS_CONF) and the image, imported from a busybox-static rootfs
tarball (`podman import`), so no registry is ever contacted. Containers run
with --network none (no netavark/CNI setup), the cgroupfs manager, and the
given --cgroup-parent, which a test names after its id prefix so the leak
guard sees it.

containers.conf caps default_ulimits: podman asks for RLIMIT_NOFILE and
RLIMIT_NPROC of 1048576, which root cannot raise its hard limit to without
CAP_SYS_RESOURCE (missing on this project's machines).

Podman.setup() raises PodmanUnavailable with the reason when podman is not
installed or cannot run a container here; callers skip with that reason.
"""

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

IMAGE = "localhost/ocirun-test-busybox:latest"
APPLETS = ("sh", "cat", "ls", "sleep", "echo", "true", "grep", "head", "dd")
CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class PodmanUnavailable(Exception):
    pass


def _busybox_tarball(workdir):
    busybox = shutil.which("busybox")
    if busybox is None:
        raise PodmanUnavailable("busybox (busybox-static) is not installed")
    rootfs = workdir / "image-rootfs"
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(busybox, rootfs / "bin" / "busybox")
    for a in APPLETS:
        os.symlink("busybox", rootfs / "bin" / a)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")
    tarball = workdir / "image.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(rootfs, arcname=".")
    return tarball


# ocirun's --root when the caller gives none (as root)
DEFAULT_OCIRUN_ROOT = "/run/ocirun"


class Podman:
    def __init__(self, workdir, ocirun, cgroup_parent):
        self.workdir = Path(workdir)
        self.ocirun = str(ocirun)
        self.cgroup_parent = cgroup_parent
        self.conf = self.workdir / "containers.conf"
        self.env = dict(os.environ, CONTAINERS_CONF=str(self.conf))
        # podman refuses a runroot of more than 50 characters
        self.runroot = Path(tempfile.mkdtemp(prefix="ocirun-pm-", dir="/tmp"))
        # podman gives ocirun no --root, so ocirun uses its default, where it
        # also keeps its seccomp cache: cleanup() removes what it made there
        self.had_default_root = os.path.exists(DEFAULT_OCIRUN_ROOT)

    @classmethod
    def setup(cls, workdir, ocirun, cgroup_parent, timeout=120):
        if shutil.which("podman") is None:
            raise PodmanUnavailable("podman is not installed (apt-get install podman)")
        pm = cls(workdir, ocirun, cgroup_parent)
        pm.workdir.mkdir(parents=True, exist_ok=True)
        pm.conf.write_text(CONF)
        tarball = _busybox_tarball(pm.workdir)
        r = pm.podman("import", str(tarball), IMAGE, timeout=timeout)
        if r.returncode != 0:
            pm.cleanup()
            raise PodmanUnavailable(f"podman import failed: {r.stderr.strip()}")
        return pm

    def argv(self, *args, runtime=True):
        """The podman command line with the private stores (RUNTIME: with
        --runtime, else containers.conf's choice)."""
        return ["podman", "--root", str(self.workdir / "root"),
                "--runroot", str(self.runroot), "--storage-driver", "vfs",
                # libpod's own state (exit files, locks): not the host's /run/libpod
                "--tmpdir", str(self.runroot / "libpod"),
                *(["--runtime", self.ocirun] if runtime else []),
                "--cgroup-manager", "cgroupfs", *args]

    def podman(self, *args, timeout=120):
        return subprocess.run(self.argv(*args), capture_output=True, text=True, env=self.env,
                              stdin=subprocess.DEVNULL, timeout=timeout)

    def run(self, opts, *command, timeout=120):
        """`podman run --rm [OPTS] IMAGE COMMAND...` (opts: a list)."""
        return self.podman("run", "--rm", "--network", "none", "--cgroup-parent",
                           self.cgroup_parent, *opts, IMAGE, *command, timeout=timeout)

    def cgroup_dirs(self):
        """The directories of the cgroup parent that exist, in every hierarchy."""
        found = []
        for mp in _cgroup_mounts():
            d = mp + self.cgroup_parent
            if os.path.isdir(d):
                found.append(d)
        return found

    def cleanup(self):
        """Removes every container, the image store and the cgroup parent
        (podman leaves it, with conmon's sub-cgroup, behind)."""
        if (self.workdir / "root").exists():
            self.podman("rm", "--all", "--force", timeout=60)
            self.podman("rmi", "--all", "--force", timeout=60)
        for d in self.cgroup_dirs():
            _remove_empty_tree(d)
        # vfs layers can hold read-only directories: make them removable
        subprocess.run(["chmod", "-R", "u+rwx", str(self.workdir)], check=False,
                       capture_output=True)
        shutil.rmtree(self.runroot, ignore_errors=True)
        shutil.rmtree(os.path.join(DEFAULT_OCIRUN_ROOT, ".seccomp-cache@v1"), ignore_errors=True)
        if not self.had_default_root:
            try:
                os.rmdir(DEFAULT_OCIRUN_ROOT)
            except OSError:
                pass


def _cgroup_mounts():
    mps = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split()[0] in ("cgroup", "cgroup2"):
                mps.append(pre.split()[4])
    return mps


def _remove_empty_tree(d):
    for sub in sorted((p for p in Path(d).iterdir() if p.is_dir()), reverse=True):
        _remove_empty_tree(sub)
    try:
        os.rmdir(d)
    except OSError:
        pass
