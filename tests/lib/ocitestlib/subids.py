"""Test users' subordinate id ranges (/etc/subuid, /etc/subgid) and their
processes, shared by the rootless suites (test_rootless.py and the rootless
podman harness, podman_rootless.py).  The files are the host's: every edit
is an atomic replace keeping the file's mode and owner, and each test
removes the ranges it added."""

import os
import tempfile

RANGE = 65536


def replace_atomically(path, text):
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".ocitest-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def ranges(path):
    """(owner, start, count) of every well-formed line of path."""
    out = []
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                out.append((parts[0], int(parts[1]), int(parts[2])))
    return out


def ensure_range(path, name):
    """The user's range in path (useradd may have added one), else a new one
    above every existing range."""
    for owner, start, count in ranges(path):
        if owner == name and count >= RANGE:
            return start
    start = max([100000] + [s + c for _, s, c in ranges(path)])
    with open(path) as f:
        text = f.read()
    if text and not text.endswith("\n"):
        text += "\n"
    replace_atomically(path, text + f"{name}:{start}:{RANGE}\n")
    return start


def drop_ranges(path, name):
    with open(path) as f:
        lines = f.readlines()
    kept = [line for line in lines if not line.startswith(name + ":")]
    if kept != lines:
        replace_atomically(path, "".join(kept))


def pids_of_uids(owned):
    """The pids whose owner uid satisfies OWNED(uid)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if owned(os.stat(f"/proc/{entry}").st_uid):
                    pids.append(int(entry))
            except OSError:
                pass
    return pids
