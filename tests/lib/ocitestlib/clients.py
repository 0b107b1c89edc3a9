"""Helpers for the client suites (tests/integration/test_client_*.py):
podman, containerd and Docker driving ocirun, with nothing shared with the
host's own daemons.

  log = RuntimeWrapper(dir, ocirun)    a shell script that appends its argv
                                       to log.log_path, then execs ocirun;
                                       log.calls() -> [[arg, ...], ...]
  image_archive(dir, name)             a busybox-static image as one tarball
                                       that is both an OCI layout (index.json,
                                       for `ctr images import`) and a
                                       docker-archive (manifest.json, for
                                       `docker load` of Docker 20.10)
  Containerd.start(dir) / .ctr(...) / .stop()
                                       containerd on a private socket, root
                                       and state in dir, the CRI plugin off
  Dockerd.start(dir, containerd, ...)  dockerd using that containerd, its own
                                       data-root/exec-root, no iptables/bridge

Daemons are stopped by PID (SIGTERM, then SIGKILL), always.  A missing
package raises ClientUnavailable with the reason; the tests skip with it.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

# the applet links in the image's /bin
APPLETS = ("sh", "cat", "ls", "sleep", "echo", "true", "grep", "head", "dd", "id",
           "touch", "pwd", "env", "tty", "ps", "wc", "tr")


class ClientUnavailable(Exception):
    pass


def need(*programs):
    for p in programs:
        if shutil.which(p) is None:
            raise ClientUnavailable(f"{p} is not installed (see contrib/deps-test.txt)")


class RuntimeWrapper:
    """`--runtime`/`--runc-binary`/`--add-runtime` target that records the
    exact command line each client passes to ocirun."""

    def __init__(self, directory, ocirun):
        self.path = Path(directory) / "ocirun-wrapper"
        self.log_path = Path(directory) / "ocirun-argv.log"
        # one line per call, the arguments separated by a unit separator
        # (\037) so that no argument boundary is lost
        self.path.write_text("#!/bin/sh\n"
                             f"printf '%s\\037' \"$@\" >> '{self.log_path}'\n"
                             f"printf '\\n' >> '{self.log_path}'\n"
                             f"exec '{ocirun}' \"$@\"\n")
        self.path.chmod(0o755)

    def calls(self):
        if not self.log_path.exists():
            return []
        return [line.split("\037")[:-1] for line in self.log_path.read_text().splitlines()]

    def commands(self):
        """The subcommand of each call (the first argument not an option or
        an option's value)."""
        out = []
        for argv in self.calls():
            out.append(subcommand(argv))
        return out


GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--cgroup-manager"}


def subcommand(argv):
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in GLOBAL_WITH_VALUE:
            i += 2
        elif a.split("=", 1)[0] in GLOBAL_WITH_VALUE:
            i += 1
        elif a.startswith("-"):
            i += 1
        else:
            return a
    return None


def busybox_rootfs(rootfs):
    busybox = shutil.which("busybox")
    if busybox is None:
        raise ClientUnavailable("busybox (busybox-static) is not installed")
    rootfs = Path(rootfs)
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(busybox, rootfs / "bin" / "busybox")
    for a in APPLETS:
        os.symlink("busybox", rootfs / "bin" / a)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\n"
                                           "nobody:x:65534:65534:nobody:/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
    return rootfs


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_archive(directory, name):
    """Writes DIRECTORY/image.tar for image NAME ("host/repo:tag") and
    returns its path."""
    directory = Path(directory)
    rootfs = busybox_rootfs(directory / "image-rootfs")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        t.add(rootfs, arcname=".")
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [_digest(layer_tar)]},
        "history": [{"created_by": "ocirun tests: busybox-static rootfs"}],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _digest(layer), "size": len(layer)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": _digest(manifest), "size": len(manifest),
                       "annotations": {"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name":
                                       name.rsplit(":", 1)[1]}}],
    }).encode()
    blob = lambda data: "blobs/sha256/" + hashlib.sha256(data).hexdigest()  # noqa: E731
    docker_manifest = json.dumps([{"Config": blob(config), "RepoTags": [name],
                                   "Layers": [blob(layer)]}]).encode()
    path = directory / "image.tar"
    with tarfile.open(path, "w") as t:
        _add_bytes(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        for data in (layer, config, manifest):
            _add_bytes(t, blob(data), data)
        _add_bytes(t, "index.json", index)
        _add_bytes(t, "manifest.json", docker_manifest)
    return path


def _wait_socket(sock, proc, timeout, logfile):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClientUnavailable(f"daemon exited ({proc.returncode}): "
                                    + Path(logfile).read_text()[-1500:])
        if os.path.exists(sock):
            return
        time.sleep(0.1)
    raise ClientUnavailable(f"daemon did not create {sock} in {timeout}s: "
                            + Path(logfile).read_text()[-1500:])


def stop_pid(proc, timeout=20):
    """SIGTERM, wait, then SIGKILL: only the process we started."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


CONTAINERD_CONF = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.runtime.v2.task"]
  platforms = ["linux/amd64"]
"""


class Containerd:
    """containerd in a short private directory (unix socket paths are
    limited to 108 bytes)."""

    def __init__(self, namespace):
        self.dir = Path(tempfile.mkdtemp(prefix="ocirun-ctd-", dir="/tmp"))
        self.sock = str(self.dir / "c.sock")
        self.namespace = namespace
        self.proc = None
        self.logfile = self.dir / "containerd.log"

    @classmethod
    def start(cls, namespace, extra_conf="", timeout=30):
        need("containerd", "ctr", "containerd-shim-runc-v2")
        c = cls(namespace)
        conf = c.dir / "config.toml"
        conf.write_text(CONTAINERD_CONF.format(d=c.dir) + extra_conf)
        with open(c.logfile, "w") as log:
            c.proc = subprocess.Popen(["containerd", "--config", str(conf)],
                                      stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_socket(c.sock, c.proc, timeout, c.logfile)
        except ClientUnavailable:
            c.stop()
            raise
        return c

    def ctr(self, *args, timeout=60, input=None):
        cmd = ["ctr", "-a", self.sock, "-n", self.namespace, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              input=input, stdin=None if input is not None
                              else subprocess.DEVNULL)

    def stop(self):
        """Kills what is left in the namespace, stops containerd (its shims
        exit when their task is deleted), removes the directory."""
        if self.proc is not None and self.proc.poll() is None:
            r = self.ctr("tasks", "ls", "-q", timeout=30)
            for task in r.stdout.split():
                self.ctr("tasks", "kill", "-s", "SIGKILL", task, timeout=30)
                time.sleep(0.2)
                self.ctr("tasks", "delete", "-f", task, timeout=30)
            r = self.ctr("containers", "ls", "-q", timeout=30)
            for cid in r.stdout.split():
                self.ctr("containers", "delete", cid, timeout=30)
        stop_pid(self.proc)
        _umount_under(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        # the shim's --root for the runtime: /run/containerd/runc/NAMESPACE
        shutil.rmtree(f"/run/containerd/runc/{self.namespace}", ignore_errors=True)


def _umount_under(directory):
    """Unmounts whatever a killed shim left below DIRECTORY (deepest first)."""
    prefix = str(directory) + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for mp in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True, check=False)


class Dockerd:
    """dockerd on a private socket, using the given Containerd (namespace
    "moby" there), vfs storage, cgroupfs driver, no iptables and no bridge."""

    def __init__(self, containerd):
        self.containerd = containerd
        self.dir = Path(tempfile.mkdtemp(prefix="ocirun-dk-", dir="/tmp"))
        self.sock = str(self.dir / "d.sock")
        self.proc = None
        self.logfile = self.dir / "dockerd.log"
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}",
                        DOCKER_CONFIG=str(self.dir / "cli"))

    @classmethod
    def start(cls, containerd, runtime, cgroup_parent, daemon_json="{}\n", timeout=60):
        """RUNTIME: the --add-runtime ocirun=PATH, or None when DAEMON_JSON
        (the --config-file text) names the runtimes itself."""
        need("dockerd")
        if not os.path.exists("/usr/bin/docker"):
            raise ClientUnavailable("/usr/bin/docker (docker.io) is not installed")
        d = cls(containerd)
        cmd = ["dockerd", "--host", f"unix://{d.sock}", "--containerd", containerd.sock,
               "--data-root", str(d.dir / "data"), "--exec-root", str(d.dir / "exec"),
               "--pidfile", str(d.dir / "dockerd.pid"), "--config-file",
               str(d.dir / "daemon.json"), "--iptables=false", "--ip-masq=false",
               "--bridge=none", "--storage-driver", "vfs",
               "--exec-opt", "native.cgroupdriver=cgroupfs",
               "--cgroup-parent", cgroup_parent,
               "--default-ulimit", "nofile=1024:1024", "--default-ulimit", "nproc=4096:4096",
               "--userland-proxy=false"]
        if runtime is not None:
            cmd += ["--add-runtime", f"ocirun={runtime}"]
        (d.dir / "daemon.json").write_text(daemon_json)
        with open(d.logfile, "w") as log:
            d.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_socket(d.sock, d.proc, timeout, d.logfile)
            deadline = time.monotonic() + timeout
            while d.docker("info", timeout=30).returncode != 0:
                if time.monotonic() > deadline:
                    raise ClientUnavailable("dockerd does not answer: "
                                            + d.logfile.read_text()[-1500:])
                time.sleep(0.3)
        except ClientUnavailable:
            d.stop()
            raise
        return d

    def docker(self, *args, timeout=120, input=None):
        # the Debian client, not whatever else is first in PATH
        return subprocess.run(["/usr/bin/docker", *args], capture_output=True, text=True,
                              env=self.env, timeout=timeout, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            r = self.docker("ps", "-aq", timeout=30)
            if r.returncode == 0 and r.stdout.split():
                self.docker("rm", "-f", *r.stdout.split(), timeout=60)
        stop_pid(self.proc, timeout=30)
        _umount_under(self.dir)
        subprocess.run(["chmod", "-R", "u+rwx", str(self.dir)], check=False,
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


CONTRIB = Path(__file__).resolve().parents[3] / "contrib" / "clients"


def contrib_snippet(name, ocirun):
    """contrib/clients/NAME with the installed path replaced by OCIRUN."""
    return (CONTRIB / name).read_text().replace("/usr/bin/ocirun", str(ocirun))


def remove_cgroup_tree(rel):
    """Removes the empty cgroup directory REL ("/name") in every hierarchy."""
    from ocitestlib.podman import _cgroup_mounts, _remove_empty_tree
    for mp in _cgroup_mounts():
        d = mp + rel
        if os.path.isdir(d):
            _remove_empty_tree(d)


def cgroup_tree_exists(rel):
    from ocitestlib.podman import _cgroup_mounts
    return [mp + rel for mp in _cgroup_mounts() if os.path.isdir(mp + rel)]
