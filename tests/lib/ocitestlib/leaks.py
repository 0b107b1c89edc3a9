"""The leak guard: what a test left behind on the host.

Before a test we snapshot mounts, processes and cgroups; afterwards (after
the fixtures' own cleanup) we snapshot again and diff.  Only things that can
be attributed to the test are reported, because other test sessions may run
on the same machine at the same time:

  mounts     mount point inside one of the test's directories
  processes  /proc/PID/exe is the ocirun binary under test, or the process's
             root, cwd or command line lies inside / names a test directory
  cgroups    a cgroup directory whose name contains the test's id prefix

In strict mode (OCIRUN_LEAK_GUARD=strict, set by CI, which has the machine
to itself) every new host mount, every new ocirun-named process and every
new cgroup directory counts too (except the machine's protected subtrees
and systemd user managers' own slices), but is only reported.  Cleanup is limited
to what is attributed: leaked pids are SIGKILLed by pid, leaked cgroups
thawed and removed, mounts under the test directories lazily unmounted.
"""

import ctypes
import os
import re
import time
from dataclasses import dataclass, field

from . import procs

CGROUP_ROOT = "/sys/fs/cgroup"
# Cgroup subtrees the guard may report but must never write to or remove
# (the machine's own management lives there).  Extra ones can be given in
# OCIRUN_LEAK_GUARD_PROTECT, separated by ':'.
PROTECTED_CGROUPS = ["/sys/fs/cgroup/memory/process_api"] + [
    p for p in os.environ.get("OCIRUN_LEAK_GUARD_PROTECT", "").split(":") if p]
CGROUP_DEPTH = 4
MNT_DETACH = 2
# marks a process reason that only strict mode counts (not killed)
STRICT_ONLY = "[strict, not killed] "


@dataclass
class Scope:
    test_dirs: list           # absolute paths owned by the test
    id_prefix: str            # every container id of the test starts with it
    ocirun_path: str = None   # the binary under test
    strict: bool = False

    def owns_path(self, path):
        if not path:
            return False
        for d in self.test_dirs:
            d = str(d).rstrip("/")
            if path == d or path.startswith(d + "/"):
                return True
        return False


@dataclass
class Snapshot:
    mounts: dict = field(default_factory=dict)   # (mount id, point) -> fstype
    pids: dict = field(default_factory=dict)     # pid -> (start time, reason)
    cgroups: set = field(default_factory=set)    # absolute cgroup dir paths


@dataclass
class Leaks:
    mounts: list = field(default_factory=list)   # mount points
    pids: dict = field(default_factory=dict)     # pid -> reason
    cgroups: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.mounts or self.pids or self.cgroups)

    def describe(self):
        lines = []
        for m in self.mounts:
            lines.append(f"  mount: {m}")
        for pid, reason in sorted(self.pids.items()):
            lines.append(f"  process {pid}: {reason} ({' '.join(procs.cmdline(pid))[:200]})")
        for c in self.cgroups:
            lines.append(f"  cgroup: {c}")
        return "\n".join(lines)


def _unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def read_mounts():
    """[(mount id, mount point, fstype)] from our own mountinfo."""
    result = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields = pre.split()
            if len(fields) < 5:
                continue
            fstype = post.split()[0] if post else "?"
            result.append((int(fields[0]), _unescape(fields[4]), fstype))
    return result


def _pid_reason(pid, scope, ocirun_real):
    exe = procs.read_link(f"/proc/{pid}/exe")
    if exe is not None:
        if ocirun_real and exe == ocirun_real:
            return "runs the ocirun binary under test"
        if scope.strict and ("memfd:ocirun" in exe or os.path.basename(exe) == "ocirun"):
            # may belong to anyone: reported, never killed
            return STRICT_ONLY + f"runs {exe}"
    root = procs.read_link(f"/proc/{pid}/root")
    if root not in (None, "/") and scope.owns_path(root):
        return f"root is {root}"
    cwd = procs.read_link(f"/proc/{pid}/cwd")
    if scope.owns_path(cwd):
        return f"cwd is {cwd}"
    args = procs.cmdline(pid)
    for d in scope.test_dirs:
        if any(str(d) in a for a in args):
            return f"command line names {d}"
    return None


def scan_pids(scope):
    """{pid: (start time, reason)} for live processes attributable to scope."""
    me = os.getpid()
    ocirun_real = os.path.realpath(scope.ocirun_path) if scope.ocirun_path else None
    found = {}
    for pid in procs.all_pids():
        if pid == me or procs.proc_state(pid) in (None, "Z", "X"):
            continue
        reason = _pid_reason(pid, scope, ocirun_real)
        if reason is not None:
            found[pid] = (procs.start_time(pid), reason)
    return found


def cgroup_roots():
    """The hierarchy mount points: /sys/fs/cgroup itself on a pure v2 host,
    else every controller directory plus unified on hybrid/legacy hosts."""
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        return [CGROUP_ROOT]
    roots = []
    try:
        entries = sorted(os.scandir(CGROUP_ROOT), key=lambda e: e.name)
    except OSError:
        return []
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            roots.append(e.path)
    return roots


def _walk_dirs(top, depth):
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            yield e.path
            if depth > 1:
                yield from _walk_dirs(e.path, depth - 1)


# A systemd user manager (user@UID.service) makes its own slices
# (app.slice, session.slice, user.slice) on demand, e.g. on the first
# `systemd-run --user`: systemd's, never the test's.
_USER_MANAGER = re.compile(r"/user@[0-9]+\.service(/|$)")


def _foreign(path):
    """A cgroup other parties make and remove: the machine's protected
    subtrees and systemd user managers' own slices.  Strict mode does not
    count them; one carrying the test's prefix still counts."""
    return is_protected(path) or _USER_MANAGER.search(path) is not None


def scan_cgroups(scope):
    found = set()
    for root in cgroup_roots():
        for path in _walk_dirs(root, CGROUP_DEPTH):
            if scope.id_prefix in os.path.basename(path):
                found.add(path)
            elif scope.strict and not _foreign(path):
                found.add(path)
    return found


def snapshot(scope):
    mounts = {(mid, mp): fs for mid, mp, fs in read_mounts()}
    return Snapshot(mounts=mounts, pids=scan_pids(scope), cgroups=scan_cgroups(scope))


def find_leaks(before, after, scope):
    leaks = Leaks()
    for (mid, mp), fstype in after.mounts.items():
        if (mid, mp) in before.mounts:
            continue
        if scope.owns_path(mp) or scope.strict:
            leaks.mounts.append(mp)
    for pid, (start, reason) in after.pids.items():
        old = before.pids.get(pid)
        if old is not None and old[0] == start:
            continue
        if procs.alive(pid, start):
            leaks.pids[pid] = reason
    for path in sorted(after.cgroups - before.cgroups):
        if os.path.isdir(path):
            leaks.cgroups.append(path)
    return leaks


def is_protected(path):
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in PROTECTED_CGROUPS)


def _write(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
        return True
    except OSError:
        return False


def _thaw(cgroup_dir):
    if os.path.exists(os.path.join(cgroup_dir, "freezer.state")):
        _write(os.path.join(cgroup_dir, "freezer.state"), "THAWED")
    if os.path.exists(os.path.join(cgroup_dir, "cgroup.freeze")):
        _write(os.path.join(cgroup_dir, "cgroup.freeze"), "0")


def _cgroup_pids(cgroup_dir):
    pids = set()
    for sub, _dirs, _files in os.walk(cgroup_dir):
        try:
            with open(os.path.join(sub, "cgroup.procs")) as f:
                pids.update(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return pids


def _rmdir_tree(path, timeout=3.0):
    """Removes a cgroup directory bottom-up, retrying while tasks exit."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            for sub, dirs, _files in os.walk(path, topdown=False):
                for d in dirs:
                    try:
                        os.rmdir(os.path.join(sub, d))
                    except FileNotFoundError:
                        pass
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def umount_lazy(path):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.umount2(os.fsencode(path), MNT_DETACH) != 0:
        return ctypes.get_errno()
    return 0


def cleanup(leaks, scope):
    """Removes what leaked (only attributed things); returns what remains."""
    remaining = []
    # strict mode reports foreign-looking cgroups but only removes ours, and
    # nothing in a protected subtree is ever written to
    ours = [cg for cg in leaks.cgroups
            if scope.id_prefix in os.path.basename(cg) and not is_protected(cg)]
    for cg in leaks.cgroups:
        if is_protected(cg):
            remaining.append(f"cgroup {cg} is in a protected subtree; not removed")
        elif cg not in ours:
            remaining.append(f"cgroup {cg} does not carry the test's prefix; not removed")
    # thaw first: a frozen task never dies from SIGKILL
    for cg in ours:
        _thaw(cg)
    pids = set()
    for pid, reason in leaks.pids.items():
        if reason.startswith(STRICT_ONLY):
            remaining.append(f"process {pid} ({reason[len(STRICT_ONLY):]}) is not "
                             "attributable to the test; not killed")
        else:
            pids.add(pid)
    for cg in ours:
        pids |= _cgroup_pids(cg)
    pids.discard(os.getpid())
    for pid in procs.kill_pids(sorted(pids)):
        remaining.append(f"process {pid} survived SIGKILL")
    for cg in sorted(ours, key=len, reverse=True):
        if not _rmdir_tree(cg):
            remaining.append(f"cgroup {cg} could not be removed")
    for mp in sorted(leaks.mounts, key=len, reverse=True):
        if not scope.owns_path(mp):
            remaining.append(f"mount {mp} is outside the test dirs; not unmounted")
            continue
        err = umount_lazy(mp)
        if err not in (0, 22, 2):  # EINVAL/ENOENT: already gone with a parent
            remaining.append(f"umount {mp}: {os.strerror(err)}")
    return remaining
