"""OCI bundles for tests: a busybox + ocitest rootfs and a config.json.

The config is written from Python (the same content `runc spec` prints,
with terminal=false and args=["/bin/true"]) so the harness does not depend
on `ocirun spec` working.
"""

import copy
import json
import os
import shutil
from pathlib import Path

BUSYBOX = "/bin/busybox"

# Applets linked into /bin; tests may call any other as `busybox NAME`.
APPLETS = [
    "sh", "ash", "true", "false", "cat", "ls", "echo", "sleep", "id", "env",
    "mount", "umount", "ps", "grep", "mkdir", "rmdir", "rm", "touch", "stat",
    "readlink", "realpath", "hostname", "kill", "wc", "head", "tail", "test",
    "[", "printf", "pwd", "ln", "chmod", "chown", "cp", "mv", "uname",
    "whoami", "nproc", "dd", "sed", "awk", "tr", "cut", "date", "find",
    "xargs", "ip", "ping", "nc", "unshare", "nsenter", "setsid", "timeout",
    "yes", "seq", "mknod", "mkfifo", "sync", "tty", "stty", "dmesg", "df",
    "du", "sort", "uniq", "basename", "dirname", "mktemp", "tee", "usleep",
    "nice", "renice", "ulimit", "groups", "setpriv", "sysctl", "top",
]

PASSWD = """root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""

GROUP = """root:x:0:
tty:x:5:
users:x:100:tester
tester:x:1000:
nogroup:x:65534:
"""

_RUNC_SPEC = {
    "ociVersion": "1.0.2-dev",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["/bin/true"],
        "env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TERM=xterm",
        ],
        "cwd": "/",
        "capabilities": {
            s: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
            for s in ("bounding", "effective", "permitted", "ambient")
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "runc",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                     "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
            "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        ],
        "readonlyPaths": [
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
        ],
    },
}


def default_config():
    """A fresh copy of the runc-spec-equivalent config (terminal off, /bin/true)."""
    return copy.deepcopy(_RUNC_SPEC)


def make_rootfs(rootfs, ocitest):
    """Fills rootfs with busybox (+ applet links), ocitest, and a minimal /etc.

    The binaries are copied, never hard-linked: a container that writes to its
    /bin must not be able to modify the host's files."""
    rootfs = Path(rootfs)
    if not os.path.exists(BUSYBOX):
        raise FileNotFoundError(f"{BUSYBOX} not found: apt-get install busybox-static")
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc", "root", "home/tester"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    os.chmod(rootfs, 0o755)
    os.chmod(rootfs / "tmp", 0o1777)
    os.chmod(rootfs / "root", 0o700)
    if os.geteuid() == 0:
        os.chown(rootfs / "home/tester", 1000, 1000)
    shutil.copy2(BUSYBOX, rootfs / "bin/busybox")
    shutil.copy2(ocitest, rootfs / "bin/ocitest")
    for applet in APPLETS:
        link = rootfs / "bin" / applet
        if not link.exists():
            os.symlink("busybox", link)
    (rootfs / "etc/passwd").write_text(PASSWD)
    (rootfs / "etc/group").write_text(GROUP)
    return rootfs


class Bundle:
    """An OCI bundle directory: .path, .rootfs, .config (dict), .config_path.

    Change .config and call .write(); set_args() and the other setters write
    for you."""

    def __init__(self, path, ocitest, config=None):
        self.path = Path(path)
        self.rootfs = self.path / "rootfs"
        self.config_path = self.path / "config.json"
        self.path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, 0o755)
        make_rootfs(self.rootfs, ocitest)
        self.config = config if config is not None else default_config()
        self.write()

    def write(self):
        """(Re)writes config.json from .config."""
        tmp = self.config_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.config, indent=2) + "\n")
        os.replace(tmp, self.config_path)

    def set_args(self, args):
        self.config["process"]["args"] = [str(a) for a in args]
        self.write()

    def ocitest(self, *args):
        """Makes the container run /bin/ocitest ARGS."""
        self.set_args(["/bin/ocitest", *args])

    def set_env(self, name, value):
        env = [e for e in self.config["process"].get("env", [])
               if not e.startswith(name + "=")]
        env.append(f"{name}={value}")
        self.config["process"]["env"] = env
        self.write()

    def set_writable(self, writable=True):
        """root.readonly is true in runc's default spec; tests that write flip it."""
        self.config["root"]["readonly"] = not writable
        self.write()

    def add_mount(self, destination, type_=None, source=None, options=None):
        m = {"destination": destination}
        if type_ is not None:
            m["type"] = type_
        if source is not None:
            m["source"] = str(source)
        if options is not None:
            m["options"] = list(options)
        self.config.setdefault("mounts", []).append(m)
        self.write()

    def namespaces(self):
        return [n["type"] for n in self.config.get("linux", {}).get("namespaces", [])]

    def remove_namespace(self, ns_type):
        ns = self.config["linux"]["namespaces"]
        self.config["linux"]["namespaces"] = [n for n in ns if n["type"] != ns_type]
        self.write()

    def __repr__(self):
        return f"Bundle({str(self.path)!r})"
