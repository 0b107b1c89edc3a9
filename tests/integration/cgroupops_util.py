"""Helpers shared by test_pause.py, test_update.py and test_events.py: the
host's cgroup hierarchies and a bundle placed at an absolute cgroupsPath
named after the test's id prefix (so the leak guard sees it)."""

import os
import subprocess
import tempfile
import time
from pathlib import Path

CGROUP_ROOT = "/sys/fs/cgroup"
UNIFIED = "/sys/fs/cgroup/unified"


def is_hybrid():
    return not os.path.exists(CGROUP_ROOT + "/cgroup.controllers") and os.path.isdir(UNIFIED)


def v1_dir(controller, path):
    """The directory of cgroup `path` in the v1 hierarchy of `controller`."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, sfields = pre.split(), post.split()
            if sfields[0] == "cgroup" and controller in sfields[2].split(","):
                return fields[4] + path
    return None


def read(path):
    return Path(path).read_text().strip()


def set_cgroup(bundle, path, resources=None, args=None):
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = path
    res = {"devices": linux.get("resources", {}).get("devices",
                                                     [{"allow": False, "access": "rwm"}])}
    res.update(resources or {})
    linux["resources"] = res
    if args is not None:
        bundle.config["process"]["args"] = args
    bundle.write()


def wait_for(cond, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def run_v2(ocirun, root, *args, timeout=60):
    """ocirun ARGS in a new mount namespace whose /sys/fs/cgroup is cgroup2
    (the unified code path on this hybrid host). Output through files: a
    detached container keeps a pipe open."""
    script = 'mount -t cgroup2 none /sys/fs/cgroup || exit 99\nexec "$@"\n'
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                            "sh", str(ocirun), "--root", str(root), *map(str, args)],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True,
                           timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read())


def v2_bundle(bundle, path, args):
    set_cgroup(bundle, path, args=args)
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m.get("type") not in ("cgroup", "cgroup2")]
    bundle.write()
