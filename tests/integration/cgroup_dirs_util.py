"""Helpers shared by test_faults.py, test_stale.py and test_races.py: where
a container's cgroup lives in every hierarchy of the host, and the message
of a `--log-format json` error."""
import json
import os
import re

CGROUP_ROOT = "/sys/fs/cgroup"


def hierarchies():
    """Mount points of the host's cgroup hierarchies (v1 controllers and v2)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            mp, fstype = pre.split()[4], post.split()[0]
            if fstype in ("cgroup", "cgroup2") and mp.startswith(CGROUP_ROOT):
                found.append(mp)
    return found


def cgroup_dirs(path):
    return [mp + path for mp in hierarchies() if os.path.isdir(mp + path)]


def cgroup_procs(path):
    pids = set()
    for d in cgroup_dirs(path):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return pids


def errmsg(result):
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', result.stderr)
    return json.loads(f'"{m.group(1)}"') if m else result.stderr
