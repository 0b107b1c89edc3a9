"""The cgroup v2 VM itself (tests/vm/run, `make check-vm`): the guest is the
pure cgroup v2 host the `vm` tests expect, and one container with a memory
limit runs there and leaves nothing behind.  Runs only inside the VM."""

import json
import os
import pwd
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.vm, pytest.mark.root]

CGROUP = Path("/sys/fs/cgroup")
# what tests/vm/init enables at the root; rdma and misc exist without devices
CONTROLLERS = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}


def mount_of(path):
    """(fstype, options) of the mount at `path`, from /proc/self/mountinfo."""
    found = None
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ", 1)
        fields = left.split()
        if fields[4] == path:
            fstype, _source, super_opts = right.split(" ", 2)
            found = (fstype, set(super_opts.split(",")))
    return found


def test_cgroup_root_is_pure_v2_with_every_controller():
    assert mount_of("/sys/fs/cgroup")[0] == "cgroup2"
    # as booted (tests/vm/init records it): criu, run by the checkpoint
    # tests, mounts cgroup2 for its cgroup yard, which resets the options
    booted = Path("/run/ocirun-vm-cgroup-mount").read_text()
    assert "nsdelegate" in booted.split(" - ", 1)[1].split()[2].split(","), booted
    # cgroup_no_v1=all: no v1 hierarchy is even known to the kernel
    for line in Path("/proc/cgroups").read_text().splitlines()[1:]:
        name, hier, _num, _enabled = line.split()
        assert hier == "0", f"{name} is bound to v1 hierarchy {hier}"
    available = set((CGROUP / "cgroup.controllers").read_text().split())
    enabled = set((CGROUP / "cgroup.subtree_control").read_text().split())
    assert CONTROLLERS <= available
    assert available == enabled


def test_runner_sits_in_a_leaf_below_the_root():
    line = Path("/proc/self/cgroup").read_text().strip()
    assert line.startswith("0::/") and line != "0::/"
    own = CGROUP / line[len("0::/"):]
    assert (own / "cgroup.subtree_control").read_text().strip() == ""
    assert str(os.getpid()) in (own / "cgroup.procs").read_text().split()


def test_guest_has_what_the_suite_needs():
    assert pwd.getpwnam("nobody").pw_uid == 65534
    assert os.access("/bin/busybox", os.X_OK)
    assert int(Path("/sys/class/net/lo/flags").read_text(), 16) & 0x1, "lo is up"
    assert int(Path("/proc/sys/vm/nr_hugepages").read_text()) > 0
    own = Path("/proc/self/cgroup").read_text().strip()[len("0::/"):]
    assert (CGROUP / own / "hugetlb.2MB.max").exists()
    for fs, path in (("tmpfs", "/tmp"), ("devpts", "/dev/pts"), ("mqueue", "/dev/mqueue"),
                     ("tmpfs", "/dev/shm"), ("proc", "/proc"), ("sysfs", "/sys")):
        assert mount_of(path)[0] == fs, path
    # the host's /usr is the guest's, read-only
    assert "ro" in mount_of("/usr")[1] or not os.access("/usr", os.W_OK)


def test_memory_limit_with_absolute_cgroups_path(bundle, run_ocirun, unique_id):
    path = f"/ocirun-vm-smoke-{unique_id}"
    host_dir = CGROUP / path.lstrip("/")
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.config["linux"]["resources"] = {
        "devices": [{"allow": False, "access": "rwm"}],
        "memory": {"limit": 64 << 20},
    }
    bundle.ocitest("pause")
    bundle.write()
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        state = json.loads(run_ocirun("state", unique_id, check=True).stdout)
        assert state["status"] == "running"
        assert (host_dir / "memory.max").read_text().strip() == str(64 << 20)
        assert str(state["pid"]) in (host_dir / "cgroup.procs").read_text().split()
        own = Path(f"/proc/{state['pid']}/cgroup").read_text().strip()
        assert own == f"0::{path}"
    finally:
        run_ocirun("delete", "--force", unique_id)
    for _ in range(50):
        if not host_dir.exists():
            break
        time.sleep(0.1)
    assert not host_dir.exists(), f"{host_dir} left behind after delete"


def test_memory_limit_seen_inside_the_container(bundle, run_in_container, unique_id):
    path = f"/ocirun-vm-smoke-{unique_id}"
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.config["linux"]["resources"] = {"memory": {"limit": 32 << 20}}
    bundle.write()
    _result, out = run_in_container("cgroup")
    assert out is not None
    assert [c["path"] for c in out["cgroups"]] == [path]
    assert not (CGROUP / path.lstrip("/")).exists(), "cgroup left behind after run"
