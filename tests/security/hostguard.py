"""Shared checks of the CVE suite: the host must be untouched.

HostGuard snapshots, before the attack:
  - /proc/self/mountinfo of the test process (the host's mount namespace):
    afterwards no mount may have appeared or disappeared;
  - sentinel files the attack points at (content, mode, owner, inode,
    mtime): afterwards all identical, and no new entry in sentinel dirs.
"""

import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))


def mounts():
    """(mount point, fs type, source, options) of every host mount."""
    out = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields = pre.split()
            ptype, psrc = post.split()[:2]
            out.add((fields[4], ptype, psrc, fields[5]))
    return out


def fingerprint(path):
    st = os.lstat(path)
    data = b""
    if os.path.isfile(path) and not os.path.islink(path):
        data = Path(path).read_bytes()
    entries = sorted(os.listdir(path)) if os.path.isdir(path) and not os.path.islink(path) else []
    return (st.st_mode, st.st_uid, st.st_gid, st.st_ino, st.st_mtime_ns,
            hashlib.sha256(data).hexdigest(), tuple(entries))


class HostGuard:
    def __init__(self, test_dir):
        self.dir = Path(test_dir) / "host-sentinels"
        self.dir.mkdir(exist_ok=True)
        self.paths = []
        self.before_mounts = None

    def file(self, name, text="host sentinel, must not change\n", mode=0o644):
        p = self.dir / name
        p.write_text(text)
        os.chmod(p, mode)
        self.paths.append(p)
        return p

    def directory(self, name):
        p = self.dir / name
        p.mkdir(exist_ok=True)
        (p / "marker").write_text("host directory sentinel\n")
        self.paths.append(p)
        self.paths.append(p / "marker")
        return p

    def arm(self):
        self.before_mounts = mounts()
        self.before = {p: fingerprint(p) for p in self.paths}
        return self

    def check(self):
        """Asserts nothing changed; returns the list of problems for messages."""
        after = mounts()
        new = sorted(after - self.before_mounts)
        gone = sorted(self.before_mounts - after)
        # other tests running in parallel on the machine may mount; only
        # mounts under our own directories or over host paths we point at
        # count. The suite runs serially, so any change is suspicious; but
        # container runtimes of other users may still come and go.
        ours = [m for m in new + gone
                if m[0].startswith(str(self.dir.parent)) or m[0] in ("/", "/proc", "/sys", "/dev",
                                                                   "/etc", "/tmp")]
        assert not ours, f"host mounts changed: new={new} gone={gone}"
        for p, fp in self.before.items():
            assert fingerprint(p) == fp, f"host sentinel {p} changed"
