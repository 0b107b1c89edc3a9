"""Every linux.resources field on cgroup v2 (issue #5): after create and
after update the container's cgroup file holds the value -- blockIO (io.weight,
io.max on a real block device), hugepageLimits (hugetlb.<size>.max and
.rsvd.max for the guest's page sizes), rdma, the `unified` map (written last,
so it wins over a typed field), cpu.burst/idle, the v1-only memory knobs
(warned about and ignored), checkBeforeUpdate -- and what v2 cannot do is
refused with an error naming the field (realtime, network, leafWeight, bad
unified keys, page sizes the host lacks, missing devices), leaving no cgroup.

The tests marked `vm` run in the pure cgroup v2 VM (tests/vm). The host
tests at the end (hybrid host, not `vm`) check that those fields are still
refused clearly there until the hybrid issue (#7) lands."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from v2effects_util import MiB, cg_dir, cg_path, cg_read, place, v2host  # noqa: F401

pytestmark = pytest.mark.root
vm = pytest.mark.vm

HUGEPAGES = "/sys/kernel/mm/hugepages"


def sleeper(bundle, path, resources):
    place(bundle, path, resources, args=["/bin/sleep", "600"])


def unquoted(stderr):
    """The log line's msg with logfmt's \\" back to \"."""
    return stderr.replace('\\"', '"')


def create_fails(bundle, run_ocirun, unique_id, path, resources, *wanted):
    """create is refused, the error names every `wanted` text, and no cgroup
    is left behind."""
    sleeper(bundle, path, resources)
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0, r.stdout
    err = unquoted(r.stderr)
    for w in wanted:
        assert w in err, err
    assert not os.path.exists(cg_dir(path)), "a failed create left its cgroup"
    return err


# ---- create: every field lands in its file ------------------------------------

@vm
def test_create_writes_every_v2_file(v2host, bundle, run_ocirun, unique_id, cg_path):
    res = {
        "memory": {"limit": 64 * MiB, "swappiness": 10, "disableOOMKiller": True,
                   "useHierarchy": True, "kernel": 1 << 30, "kernelTCP": 1 << 30},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 10000},
        "pids": {"limit": 50},
        "blockIO": {"weight": 500},
        # unified is written after the typed fields: its pids.max wins
        "unified": {"memory.high": str(48 * MiB), "pids.max": "40",
                    "cgroup.max.descendants": "5"},
    }
    sleeper(bundle, cg_path, res)
    r = run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    # v1-only knobs are ignored with a warning, not silently and not fatally
    assert "swappiness" in r.stderr and "disableOOMKiller" in r.stderr, r.stderr
    assert "Kernel memory settings are ignored" in r.stderr, r.stderr
    assert cg_read(cg_path, "memory.max") == str(64 * MiB)
    assert cg_read(cg_path, "cpu.weight") == "100"  # 1024 shares: runc >= 1.3.2, crun >= 1.23
    assert cg_read(cg_path, "cpu.max") == "50000 100000"
    assert cg_read(cg_path, "cpu.max.burst") == "10000"
    assert cg_read(cg_path, "io.weight") == "default 4950"
    assert cg_read(cg_path, "memory.high") == str(48 * MiB)
    assert cg_read(cg_path, "pids.max") == "40"
    assert cg_read(cg_path, "cgroup.max.descendants") == "5"
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


@vm
def test_cpu_idle_and_period_only(v2host, bundle, run_ocirun, unique_id, cg_path):
    sleeper(bundle, cg_path, {"cpu": {"idle": 1, "period": 50000}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "cpu.idle") == "1"
    assert cg_read(cg_path, "cpu.max") == "max 50000"
    run_ocirun("update", "--cpu-idle", "0", "--cpu-quota", "20000", unique_id, check=True)
    assert cg_read(cg_path, "cpu.idle") == "0"
    assert cg_read(cg_path, "cpu.max") == "20000 50000"  # quota alone keeps the period
    # period alone keeps the quota in force (runc 1.1 reset it to max)
    run_ocirun("update", "--cpu-period", "40000", unique_id, check=True)
    assert cg_read(cg_path, "cpu.max") == "20000 40000"
    run_ocirun("update", "--cpu-quota", "-1", unique_id, check=True)
    assert cg_read(cg_path, "cpu.max") == "max 40000"


# ---- update ----------------------------------------------------------------------

@vm
def test_update_new_fields(v2host, bundle, run_ocirun, unique_id, cg_path):
    sleeper(bundle, cg_path, {"memory": {"limit": 64 * MiB}, "cpu": {"quota": 50000}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    res = {"blockIO": {"weight": 1000}, "cpu": {"burst": 20000, "shares": 2048},
           "memory": {"swappiness": 0},
           "unified": {"memory.high": str(32 * MiB), "memory.oom.group": "1"}}
    r = run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res), check=True)
    assert "swappiness" in r.stderr, r.stderr
    assert cg_read(cg_path, "io.weight") == "default 10000"
    assert cg_read(cg_path, "cpu.max.burst") == "20000"
    assert cg_read(cg_path, "cpu.weight") == "174"
    assert cg_read(cg_path, "memory.high") == str(32 * MiB)
    assert cg_read(cg_path, "memory.oom.group") == "1"
    run_ocirun("update", "--blkio-weight", "10", unique_id, check=True)
    assert cg_read(cg_path, "io.weight") == "default 1"


@vm
def test_swap_equal_to_limit_means_no_swap(v2host, bundle, run_ocirun, unique_id, cg_path):
    sleeper(bundle, cg_path, {"memory": {"limit": 64 * MiB, "swap": 128 * MiB}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert cg_read(cg_path, "memory.swap.max") == str(64 * MiB)
    run_ocirun("update", "--memory", "32m", "--memory-swap", "32m", unique_id, check=True)
    assert cg_read(cg_path, "memory.swap.max") == "0"


@vm
def test_update_check_before_update(v2host, bundle, run_ocirun, unique_id, cg_path):
    sleeper(bundle, cg_path, {"memory": {"limit": 64 * MiB}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert int(cg_read(cg_path, "memory.current")) > 4096
    res = {"memory": {"limit": 4096, "checkBeforeUpdate": True}}
    r = run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res))
    assert r.returncode != 0
    assert "linux.resources.memory.limit" in r.stderr and "current usage" in r.stderr, r.stderr
    assert cg_read(cg_path, "memory.max") == str(64 * MiB)
    # a limit above the usage passes the check
    res["memory"]["limit"] = 32 * MiB
    run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res), check=True)
    assert cg_read(cg_path, "memory.max") == str(32 * MiB)


@vm
@pytest.mark.parametrize("flags, field", [
    (["--cpu-rt-runtime", "1000"], "linux.resources.cpu.realtimeRuntime"),
    (["--cpu-rt-period", "1000"], "linux.resources.cpu.realtimePeriod"),
])
def test_update_realtime_refused(v2host, bundle, run_ocirun, unique_id, cg_path, flags, field):
    sleeper(bundle, cg_path, {"pids": {"limit": 20}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    r = run_ocirun("update", *flags, unique_id)
    assert r.returncode != 0 and field in r.stderr and "cgroup v2" in r.stderr, r.stderr
    assert cg_read(cg_path, "pids.max") == "20"  # nothing else was touched


# ---- io.max on a real block device ---------------------------------------------

@pytest.fixture
def block_device(tmp_path):
    """MAJ:MIN of a block device of the guest: a loop device over a file in
    /tmp when the loop driver is there, else any disk the guest has."""
    if os.path.exists("/dev/loop-control"):
        img = tmp_path / "disk.img"
        with open(img, "wb") as f:
            f.truncate(8 * MiB)
        r = subprocess.run(["losetup", "-f", "--show", str(img)], capture_output=True,
                           text=True)
        if r.returncode == 0:
            dev = r.stdout.strip()
            try:
                yield Path(f"/sys/block/{os.path.basename(dev)}/dev").read_text().strip()
            finally:
                subprocess.run(["losetup", "-d", dev])
            return
    disks = sorted(os.listdir("/sys/block")) if os.path.isdir("/sys/block") else []
    if not disks:
        pytest.skip("the guest has no block device and no loop driver "
                    "(tests/vm/run loads neither loop nor virtio_blk)")
    yield Path(f"/sys/block/{disks[0]}/dev").read_text().strip()


def io_max_line(path, dev):
    for line in cg_read(path, "io.max").splitlines():
        if line.split()[0] == dev:
            return line
    return None


@vm
def test_io_max_create_and_update(v2host, bundle, run_ocirun, unique_id, cg_path, block_device):
    major, minor = map(int, block_device.split(":"))
    bio = {"throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": MiB}],
           "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}
    sleeper(bundle, cg_path, {"blockIO": bio})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert io_max_line(cg_path, block_device) == \
        f"{block_device} rbps={MiB} wbps=max riops=max wiops=100"
    # update merges: the fields not named stay; rate 0 lifts a limit (the
    # kernel always prints all four fields, "max" for none)
    bio = {"throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 2 * MiB}],
           "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 50}],
           "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 0}]}
    run_ocirun("update", "-r", "-", unique_id, input=json.dumps({"blockIO": bio}), check=True)
    assert io_max_line(cg_path, block_device) == \
        f"{block_device} rbps=max wbps={2 * MiB} riops=50 wiops=100"


@vm
def test_weight_device(v2host, bundle, run_ocirun, unique_id, cg_path, block_device):
    # per-device io.weight needs iocost on the device (the VM's root is ours)
    try:
        Path("/sys/fs/cgroup/io.cost.qos").write_text(f"{block_device} enable=1")
    except OSError as e:
        pytest.skip(f"cannot enable iocost on {block_device}: {e}")
    major, minor = map(int, block_device.split(":"))
    sleeper(bundle, cg_path, {"blockIO": {
        "weight": 100, "weightDevice": [{"major": major, "minor": minor, "weight": 1000}]}})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    lines = cg_read(cg_path, "io.weight").splitlines()
    assert lines[0] == "default 910"
    assert f"{block_device} 10000" in lines


@vm
def test_io_max_missing_device(v2host, bundle, run_ocirun, unique_id, cg_path):
    bio = {"throttleReadBpsDevice": [{"major": 4000, "minor": 999, "rate": 1}]}
    create_fails(bundle, run_ocirun, unique_id, cg_path, {"blockIO": bio},
                 "linux.resources.blockIO.throttleReadBpsDevice[0]: write `io.max`")


# ---- hugetlb ------------------------------------------------------------------------

def hugepage_sizes():
    """The guest's page sizes in the spec's form ("2MB", "1GB")."""
    out = []
    for d in sorted(os.listdir(HUGEPAGES)) if os.path.isdir(HUGEPAGES) else []:
        kib = int(d[len("hugepages-"):-len("kB")])
        out.append((f"{kib >> 20}GB" if kib >= 1 << 20 else
                    f"{kib >> 10}MB" if kib >= 1 << 10 else f"{kib}KB", kib << 10))
    return out


@vm
def test_hugetlb_limits(v2host, bundle, run_ocirun, unique_id, cg_path):
    sizes = hugepage_sizes()
    assert sizes, "the guest kernel has hugetlbfs: some page size must be listed"
    limits = [{"pageSize": name, "limit": 2 * size} for name, size in sizes]
    sleeper(bundle, cg_path, {"hugepageLimits": limits})
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    for name, size in sizes:
        assert cg_read(cg_path, f"hugetlb.{name}.max") == str(2 * size)
        if os.path.exists(f"{cg_dir(cg_path)}/hugetlb.{name}.rsvd.max"):
            assert cg_read(cg_path, f"hugetlb.{name}.rsvd.max") == str(2 * size)
    name, size = sizes[0]
    res = {"hugepageLimits": [{"pageSize": name, "limit": 4 * size}]}
    run_ocirun("update", "-r", "-", unique_id, input=json.dumps(res), check=True)
    assert cg_read(cg_path, f"hugetlb.{name}.max") == str(4 * size)


@vm
@pytest.mark.parametrize("size, wanted", [
    ("32MB", "no 32MB huge pages"),  # a power of two no x86 kernel offers
    ("2mb", "2mb"),  # the schema's pattern already refuses it
    ("3MB", "invalid page size `3MB`"),
])
def test_hugetlb_bad_sizes(v2host, bundle, run_ocirun, unique_id, cg_path, size, wanted):
    create_fails(bundle, run_ocirun, unique_id, cg_path,
                 {"hugepageLimits": [{"pageSize": size, "limit": 0}]},
                 "linux.resources.hugepageLimits[0].pageSize", wanted)


# ---- rdma ---------------------------------------------------------------------------

@vm
def test_rdma_missing_device_names_field_and_file(v2host, bundle, run_ocirun, unique_id,
                                                  cg_path):
    if os.path.isdir("/sys/class/infiniband") and os.listdir("/sys/class/infiniband"):
        pytest.skip("the guest has an RDMA device")
    create_fails(bundle, run_ocirun, unique_id, cg_path,
                 {"rdma": {"mlx4_0": {"hcaHandles": 2, "hcaObjects": 100}}},
                 'linux.resources.rdma["mlx4_0"]: write `rdma.max`')


@vm
@pytest.mark.parametrize("dev", ["a/b", "a b", ""])
def test_rdma_bad_device_names(v2host, bundle, run_ocirun, unique_id, cg_path, dev):
    create_fails(bundle, run_ocirun, unique_id, cg_path, {"rdma": {dev: {"hcaHandles": 1}}},
                 "linux.resources.rdma", "invalid device name")


# ---- unified ------------------------------------------------------------------------

@vm
@pytest.mark.parametrize("key, wanted", [
    ("../x", "not a plain cgroup file name"),
    ("memory/../../x", "not a plain cgroup file name"),
    ("cgroup.procs", "a cgroup core file the runtime manages"),
    ("cgroup.subtree_control", "a cgroup core file the runtime manages"),
    ("cgroup.kill", "a cgroup core file the runtime manages"),
    ("cgroup.freeze", "a cgroup core file the runtime manages"),
    ("memory.no_such_file", 'linux.resources.unified["memory.no_such_file"]: open '
                            '`memory.no_such_file`: No such file or directory'),
    ("noprefix", "CONTROLLER.FILE"),
])
def test_unified_bad_keys(v2host, bundle, run_ocirun, unique_id, cg_path, key, wanted):
    create_fails(bundle, run_ocirun, unique_id, cg_path, {"unified": {key: "1"}},
                 "linux.resources.unified", wanted)


@vm
def test_unified_bad_value_refused_by_kernel(v2host, bundle, run_ocirun, unique_id, cg_path):
    create_fails(bundle, run_ocirun, unique_id, cg_path, {"unified": {"pids.max": "lots"}},
                 'linux.resources.unified["pids.max"]: write `pids.max` (`lots`)',
                 "Invalid argument")


# ---- what cgroup v2 cannot do ---------------------------------------------------

@vm
@pytest.mark.parametrize("res, wanted", [
    ({"cpu": {"realtimeRuntime": 950000}}, "linux.resources.cpu.realtimeRuntime: cgroup v2"),
    ({"cpu": {"realtimePeriod": 1000000}}, "linux.resources.cpu.realtimePeriod: cgroup v2"),
    ({"network": {"classID": 1048577}}, "linux.resources.network: classID and priorities"),
    ({"network": {"priorities": [{"name": "eth0", "priority": 5}]}}, "linux.resources.network"),
    ({"blockIO": {"leafWeight": 500}}, "linux.resources.blockIO.leafWeight: not supported"),
    ({"blockIO": {"weight": 5}}, "linux.resources.blockIO.weight: 5 is not in 10..1000"),
])
def test_v2_refusals(v2host, bundle, run_ocirun, unique_id, cg_path, res, wanted):
    create_fails(bundle, run_ocirun, unique_id, cg_path, res, wanted)


# The hybrid host applies these fields since issue #7: test_v1_resources.py.
