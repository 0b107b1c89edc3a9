"""Resource control on a hybrid cgroup host (issue #7): every linux.resources
field that lives in a v1 controller (or, on a hybrid host, in the cgroup2
hierarchy where the host bound it) is written to its file, and the effect is
real where it can be measured here: a memory hog is OOM-killed at
memory.limit_in_bytes, disableOOMKiller really stops the killer, blkio
throttling slows reads of a loop device, net_cls tags the container's
sockets' cgroup.

This host: v1 cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids and
name=systemd under /sys/fs/cgroup/NAME, cgroup2 on /sys/fs/cgroup/unified
with hugetlb bound to it. Each test works in cgroups named after its own id
prefix and removes them; net_cls (not mounted here) is mounted only inside a
private mount namespace, outside /sys/fs/cgroup.
"""

import json
import os
import subprocess
import time

import pytest

from cgroupops_util import UNIFIED, is_hybrid, read, set_cgroup, v1_dir, wait_for

pytestmark = pytest.mark.root

MEM = "/sys/fs/cgroup/memory"


@pytest.fixture(autouse=True)
def hybrid_host():
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


def unified_has(controller):
    with open(UNIFIED + "/cgroup.controllers") as f:
        return controller in f.read().split()


def state_of(run_ocirun, cid):
    r = run_ocirun("state", cid)
    return json.loads(r.stdout)["status"] if r.returncode == 0 else None


@pytest.fixture
def loop_device(test_dir):
    """A 16 MiB loop device backed by a file of the test's own; detached at
    teardown. Yields (path, major, minor)."""
    backing = test_dir / "loop.img"
    with open(backing, "wb") as f:
        f.write(os.urandom(1 << 20) * 16)
    dev = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True,
                         text=True)
    if dev.returncode != 0:
        pytest.skip(f"losetup cannot attach a loop device here: {dev.stderr.strip()}")
    path = dev.stdout.strip()
    try:
        st = os.stat(path)
        yield path, os.major(st.st_rdev), os.minor(st.st_rdev)
    finally:
        subprocess.run(["losetup", "-d", path], check=False)


def with_block_device(bundle, major, minor):
    """/dev/xblk in the container, readable through the device cgroup."""
    bundle.config["linux"]["devices"] = [{"path": "/dev/xblk", "type": "b", "major": major,
                                          "minor": minor, "fileMode": 0o600, "uid": 0,
                                          "gid": 0}]
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "b", "major": major, "minor": minor, "access": "r"})
    bundle.write()


# ---- the files hold the values ----------------------------------------------


def test_memory_and_cpu_knobs_written(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path + "/c", {
        "memory": {"limit": 64 << 20, "swappiness": 17, "disableOOMKiller": True,
                   "useHierarchy": True, "kernel": 48 << 20, "kernelTCP": 16 << 20},
        "cpu": {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1,
                "realtimePeriod": 100000, "realtimeRuntime": 5000},
    })
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    mem, cpu = v1_dir("memory", cg_path + "/c"), v1_dir("cpu", cg_path + "/c")
    assert read(mem + "/memory.swappiness") == "17"
    assert "oom_kill_disable 1" in read(mem + "/memory.oom_control")
    assert read(mem + "/memory.use_hierarchy") == "1"
    # written where the kernel still has kmem limits; where the file is gone
    # or takes the write and drops it (5.16+, as here), runc's warning
    kmem = mem + "/memory.kmem.limit_in_bytes"
    if os.path.exists(kmem) and read(kmem) == str(48 << 20):
        assert read(mem + "/memory.kmem.tcp.limit_in_bytes") == str(16 << 20)
    else:
        assert "Kernel memory settings are ignored" in r.stderr, r.stderr
    assert read(cpu + "/cpu.cfs_burst_us") == "20000"
    assert read(cpu + "/cpu.idle") == "1"
    assert read(cpu + "/cpu.rt_period_us") == "100000"
    assert read(cpu + "/cpu.rt_runtime_us") == "5000"
    # the parent ocirun made got the same realtime budget, so the child fits
    assert read(v1_dir("cpu", cg_path) + "/cpu.rt_runtime_us") == "5000"
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(v1_dir("cpu", cg_path))


def test_use_hierarchy_false_warns(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"useHierarchy": False}})
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert "useHierarchy: this kernel is always hierarchical; ignored" in r.stderr


@pytest.mark.parametrize("res, words", [
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness: 101 is not in 0..100"),
    ({"blockIO": {"weight": 5}}, "linux.resources.blockIO.weight: 5 is not in 10..1000"),
    ({"blockIO": {"leafWeight": 500}}, "linux.resources.blockIO.leafWeight: this kernel has no "
                                       "blkio.leaf_weight"),
    ({"network": {"classID": 1}}, "linux.resources.network.classID: the net_cls cgroup "
                                  "controller is not available on this host"),
    ({"network": {"priorities": [{"name": "lo", "priority": 1}]}},
     "linux.resources.network.priorities: the net_prio cgroup controller is not available"),
    ({"rdma": {"mlx4_0": {"hcaHandles": 1}}}, "linux.resources.rdma: the rdma cgroup "
                                              "controller is not available on this host"),
    ({"unified": {"memory.high": "1"}}, "the memory cgroup controller is not available in the "
                                        "cgroup2 hierarchy of this hybrid host"),
    ({"unified": {"../memory.high": "1"}}, "linux.resources.unified"),
])
def test_clear_errors_and_nothing_left(bundle, run_ocirun, unique_id, cg_path, res, words):
    if "net_cls" in words and v1_dir("net_cls", "") is not None:
        pytest.skip("net_cls is mounted on this host")
    set_cgroup(bundle, cg_path, res)
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert words in r.stderr, r.stderr
    for ctrl in ("memory", "pids", "blkio", "cpu"):
        assert not os.path.exists(v1_dir(ctrl, cg_path)), f"{ctrl} cgroup left behind"
    assert not os.path.exists(UNIFIED + cg_path)
    assert run_ocirun("list", "-q").stdout.strip() == ""


def test_hugetlb_and_unified_on_the_cgroup2_side(bundle, run_ocirun, unique_id, cg_path):
    if not unified_has("hugetlb") or not os.path.isdir("/sys/kernel/mm/hugepages/"
                                                         "hugepages-2048kB"):
        pytest.skip("hugetlb (2MB pages) is not bound to cgroup2 on this host")
    set_cgroup(bundle, cg_path + "/deep/c", {
        "hugepageLimits": [{"pageSize": "2MB", "limit": 8 << 20}],
        "unified": {"cgroup.max.descendants": "3"},
    })
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    leaf = UNIFIED + cg_path + "/deep/c"
    assert read(leaf + "/hugetlb.2MB.max") == str(8 << 20)
    if os.path.exists(leaf + "/hugetlb.2MB.rsvd.max"):
        assert read(leaf + "/hugetlb.2MB.rsvd.max") == str(8 << 20)
    assert read(leaf + "/cgroup.max.descendants") == "3"
    # the parents ocirun made hand hugetlb down
    assert "hugetlb" in read(UNIFIED + cg_path + "/deep/cgroup.subtree_control").split()
    stats = json.loads(run_ocirun("events", "--stats", unique_id, check=True).stdout)
    assert stats["data"]["hugetlb"]["2MB"]["usage"] == 0
    # unified keys win over the typed field, and update takes both
    r = run_ocirun("update", "-r", "-", unique_id, check=True,
                   input=json.dumps({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}],
                                     "unified": {"hugetlb.2MB.max": str(2 << 20)}}))
    assert r.returncode == 0
    assert read(leaf + "/hugetlb.2MB.max") == str(2 << 20)
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(UNIFIED + cg_path)


# ---- the effects are real ---------------------------------------------------


def test_memory_hog_is_oom_killed_at_the_limit(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"limit": 32 << 20, "swap": 32 << 20}},
               args=["/bin/ocitest", "alloc", "96", "5"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    mem = v1_dir("memory", cg_path)
    run_ocirun("start", unique_id, check=True)
    assert wait_for(lambda: state_of(run_ocirun, unique_id) == "stopped", timeout=30)
    assert "oom_kill 1" in read(mem + "/memory.oom_control")
    assert int(read(mem + "/memory.max_usage_in_bytes")) <= 32 << 20
    run_ocirun("delete", unique_id, check=True)


def test_disable_oom_killer_really_disables_it(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"limit": 32 << 20, "swap": 32 << 20,
                                            "disableOOMKiller": True}},
               args=["/bin/ocitest", "alloc", "96", "60"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    mem = v1_dir("memory", cg_path)
    try:
        assert wait_for(lambda: "under_oom 1" in read(mem + "/memory.oom_control"), timeout=20), \
            read(mem + "/memory.oom_control")
        time.sleep(1)
        # stuck at the limit, not killed
        assert state_of(run_ocirun, unique_id) == "running"
        assert "oom_kill 0" in read(mem + "/memory.oom_control")
    finally:
        # the kernel will not end it: the test must
        r = run_ocirun("delete", "--force", unique_id, timeout=30)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(mem)


def timed_read(run_ocirun, bundle, cid, blocks):
    bundle.set_args(["/bin/sh", "-c",
                     f"dd if=/dev/xblk of=/dev/null bs=64k count={blocks} iflag=direct"])
    start = time.monotonic()
    r = run_ocirun("run", "--bundle", bundle.path, cid, timeout=60)
    return time.monotonic() - start, r


def test_blkio_throttle_slows_reads(bundle, run_ocirun, unique_id, make_id, cg_path,
                                    loop_device):
    path, major, minor = loop_device
    dev = {"major": major, "minor": minor}
    set_cgroup(bundle, cg_path, {"blockIO": {
        "throttleReadBpsDevice": [dict(dev, rate=1 << 20)],
        "throttleWriteIOPSDevice": [dict(dev, rate=100)]}})
    with_block_device(bundle, major, minor)
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    blk = v1_dir("blkio", cg_path)
    assert read(blk + "/blkio.throttle.read_bps_device") == f"{major}:{minor} {1 << 20}"
    assert read(blk + "/blkio.throttle.write_iops_device") == f"{major}:{minor} 100"
    run_ocirun("delete", unique_id, check=True)
    # 3 MiB at 1 MiB/s takes 2 s or more; unthrottled it is instant
    slow, r = timed_read(run_ocirun, bundle, make_id(), 48)
    assert r.returncode == 0, r.stderr
    set_cgroup(bundle, cg_path, {})
    with_block_device(bundle, major, minor)
    fast, r = timed_read(run_ocirun, bundle, make_id(), 48)
    assert r.returncode == 0, r.stderr
    assert slow >= 1.8 and fast < slow - 1, (slow, fast)


def test_blkio_weight_and_stats(bundle, run_ocirun, unique_id, cg_path, loop_device):
    """Per-device weights need BFQ as the device's scheduler: the test's own
    loop device gets it (a device whose scheduler is not BFQ refuses)."""
    path, major, minor = loop_device
    try:
        with open(f"/sys/block/{os.path.basename(path)}/queue/scheduler", "w") as f:
            f.write("bfq")
    except OSError as e:
        pytest.skip(f"cannot give {path} the bfq scheduler: {e}")
    set_cgroup(bundle, cg_path, {"blockIO": {
        "weight": 300, "weightDevice": [{"major": major, "minor": minor, "weight": 700}]}},
        args=["/bin/sh", "-c", "dd if=/dev/xblk of=/dev/null bs=64k count=16 iflag=direct; "
                               "sleep 60"])
    with_block_device(bundle, major, minor)
    r = run_ocirun("run", "-d", "--bundle", bundle.path, unique_id)
    if r.returncode != 0 and "no proportional I/O scheduler" in r.stderr:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stderr
    blk = v1_dir("blkio", cg_path)
    if os.path.exists(blk + "/blkio.weight"):
        assert read(blk + "/blkio.weight") == "300"
    else:
        assert read(blk + "/blkio.bfq.weight").split()[-1] == "300"
        assert f"{major}:{minor} 700" in read(blk + "/blkio.bfq.weight_device")

    def read_bytes():
        stats = json.loads(run_ocirun("events", "--stats", unique_id, check=True).stdout)
        entries = stats["data"]["blkio"].get("ioServiceBytesRecursive", [])
        return sum(e["value"] for e in entries
                   if (e["major"], e["minor"]) == (major, minor) and e["op"] == "Read")
    assert wait_for(lambda: read_bytes() >= 1 << 20, timeout=20), read_bytes()
    run_ocirun("delete", "--force", unique_id, check=True)


def test_update_v1_only_fields(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"limit": 64 << 20}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    res = {"memory": {"swappiness": 5, "disableOOMKiller": True},
           "cpu": {"quota": 20000, "burst": 10000, "idle": 0}}
    run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res), check=True)
    mem, cpu = v1_dir("memory", cg_path), v1_dir("cpu", cg_path)
    assert read(mem + "/memory.swappiness") == "5"
    assert "oom_kill_disable 1" in read(mem + "/memory.oom_control")
    assert read(cpu + "/cpu.cfs_quota_us") == "20000"
    assert read(cpu + "/cpu.cfs_burst_us") == "10000"
    # checkBeforeUpdate refuses a limit below the usage, as on v2
    usage = int(read(mem + "/memory.usage_in_bytes"))
    r = run_ocirun("update", "-r", "-", unique_id, input=json.dumps(
        {"memory": {"limit": max(usage // 2, 4096), "checkBeforeUpdate": True}}))
    assert r.returncode != 0 and "below the current usage" in r.stderr, r.stderr
    assert read(mem + "/memory.limit_in_bytes") == str(64 << 20)
    run_ocirun("delete", "--force", unique_id, check=True)


def test_kill_all_and_exec_cgroup_on_v1(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 50}},
               args=["/bin/sh", "-c", "sleep 600 & sleep 600 & wait"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    pids_dir = v1_dir("pids", cg_path)
    os.mkdir(pids_dir + "/sub")
    r = run_ocirun("exec", "--cgroup", "pids:sub", unique_id, "cat", "/proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    lines = dict(l.split(":", 2)[1:] for l in r.stdout.splitlines() if l)
    assert lines["pids"] == cg_path + "/sub" and lines["memory"] == cg_path, r.stdout
    assert wait_for(lambda: len(read(pids_dir + "/cgroup.procs").split()) == 3)
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: state_of(run_ocirun, unique_id) == "stopped", timeout=10)
    assert read(pids_dir + "/cgroup.procs") == ""
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(pids_dir)


def test_v1_notice_only_with_debug(bundle, run_ocirun, unique_id, make_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 10}})
    r = run_ocirun("--debug", "run", "--bundle", bundle.path, unique_id, check=True)
    assert r.stderr.count("cgroup v1 (hybrid host) is deprecated") == 1, r.stderr
    r = run_ocirun("run", "--bundle", bundle.path, make_id(), check=True)
    assert "deprecated" not in r.stderr, r.stderr


NETCLS_SCRIPT = r"""
set -u
mnt=$1; ocirun=$2; root=$3; bundle=$4; id=$5; path=$6
mkdir -p "$mnt"
mount -t cgroup -o net_cls,net_prio ocirun-test "$mnt" || exit 99
rc=0
"$ocirun" --root "$root" create --bundle "$bundle" "$id" || rc=1
if [ $rc = 0 ]; then
  echo "classid=$(cat "$mnt$path/net_cls.classid")"
  echo "prio=$(grep '^lo ' "$mnt$path/net_prio.ifpriomap")"
  pid=$("$ocirun" --root "$root" state "$id" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
  echo "member=$(grep net_cls /proc/$pid/cgroup)"
  "$ocirun" --root "$root" delete --force "$id" || rc=1
fi
[ -d "$mnt$path" ] && { echo "left=$mnt$path"; rmdir "$mnt$path"; }
umount "$mnt"
# the kernel drops a v1 hierarchy at umount only when no child cgroup is
# left, dying ones included: mount and unmount again until it is gone, so
# the host is left as it was (no hidden net_cls,net_prio hierarchy)
tries=0
while awk '$1 == "net_cls" && $2 != 0 { found = 1 } END { exit !found }' /proc/cgroups; do
  tries=$((tries + 1))
  [ $tries -gt 300 ] && { echo "hierarchy-kept"; exit 1; }
  sleep 0.2
  mount -t cgroup -o net_cls,net_prio ocirun-test "$mnt" && umount "$mnt"
done
exit $rc
"""


def test_net_cls_and_net_prio(bundle, ocirun, tmp_root, unique_id, cg_path, test_dir):
    """net_cls/net_prio are not mounted on this host: mounted here only in a
    private mount namespace (outside /sys/fs/cgroup), unmounted at the end.
    Mounting a v1 hierarchy is kernel-wide state (it outlives the umount while
    a dying child cgroup is released), so this runs only when asked."""
    if os.environ.get("OCIRUN_TEST_MOUNT_V1") != "1":
        pytest.skip("mounts a kernel-wide net_cls,net_prio v1 hierarchy: "
                    "set OCIRUN_TEST_MOUNT_V1=1 to run it")
    if v1_dir("net_cls", "") is not None:
        pytest.skip("net_cls is already mounted on this host")
    set_cgroup(bundle, cg_path, {"network": {"classID": 0x100001,
                                             "priorities": [{"name": "lo", "priority": 7}]}},
               args=["/bin/sleep", "60"])
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", NETCLS_SCRIPT,
                        "sh", str(test_dir / "netcls"), str(ocirun), str(tmp_root),
                        str(bundle.path), unique_id, cg_path],
                       capture_output=True, text=True, timeout=120)
    if p.returncode == 99:
        pytest.skip(f"cannot mount the net_cls,net_prio hierarchy: {p.stderr.strip()}")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"classid={0x100001}" in p.stdout, p.stdout
    assert "prio=lo 7" in p.stdout, p.stdout
    assert f"net_cls,net_prio:{cg_path}" in p.stdout, p.stdout
    assert "left=" not in p.stdout
    with open("/proc/cgroups") as f:
        ids = {l.split()[0]: l.split()[1] for l in f if not l.startswith("#")}
    assert ids.get("net_cls", "0") == "0", "the net_cls hierarchy outlived the test"
