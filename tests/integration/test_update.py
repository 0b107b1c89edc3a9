"""update (issues #5, #7): runc 1.1.5's flags and value forms, `-r FILE|-`
with a linux.resources object, applied by the code create uses; read back
from the v1 files on this hybrid host and from cgroup2 on the unified path.
runc's wording checked by running it here: "container not running" for a
stopped container, "invalid value for memory: invalid size: 'abc'", and the
kernel-memory warning."""

import json
import os

import pytest

from cgroupops_util import (UNIFIED, is_hybrid, read, run_v2, set_cgroup, v1_dir, v2_bundle,
                            wait_for)

pytestmark = pytest.mark.root


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


@pytest.fixture
def running(request, bundle, run_ocirun, unique_id, cg_path):
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")
    set_cgroup(bundle, cg_path, {"memory": {"limit": 64 << 20}, "pids": {"limit": 100}},
               args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    yield unique_id
    run_ocirun("delete", "--force", unique_id)


def test_update_flags_written(running, run_ocirun, cg_path):
    run_ocirun("update", "--memory", "100m", "--memory-reservation", "50M",
               "--pids-limit", "33", "--cpu-share", "300", "--cpu-period", "50000",
               "--cpu-quota", "25000", "--cpuset-cpus", "0", "--cpuset-mems", "0", running,
               check=True)
    mem, cpu = v1_dir("memory", cg_path), v1_dir("cpu", cg_path)
    assert read(mem + "/memory.limit_in_bytes") == str(100 << 20)
    assert read(mem + "/memory.soft_limit_in_bytes") == str(50 << 20)
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "33"
    assert read(cpu + "/cpu.shares") == "300"
    assert read(cpu + "/cpu.cfs_period_us") == "50000"
    assert read(cpu + "/cpu.cfs_quota_us") == "25000"
    assert read(v1_dir("cpuset", cg_path) + "/cpuset.cpus") == "0"
    r = run_ocirun("state", running, check=True)
    assert json.loads(r.stdout)["status"] == "running"


def test_update_memory_and_swap_order(running, run_ocirun, cg_path):
    """Raising memory+swap above the old limit and lowering it again both
    work: the two writes are ordered so memsw >= limit at every step."""
    mem = v1_dir("memory", cg_path)
    if not os.path.exists(mem + "/memory.memsw.limit_in_bytes"):
        pytest.skip("swap accounting is not enabled on this kernel")
    run_ocirun("update", "--memory", "200m", "--memory-swap", "300m", running, check=True)
    assert read(mem + "/memory.limit_in_bytes") == str(200 << 20)
    assert read(mem + "/memory.memsw.limit_in_bytes") == str(300 << 20)
    run_ocirun("update", "--memory", "32m", "--memory-swap", "48m", running, check=True)
    assert read(mem + "/memory.limit_in_bytes") == str(32 << 20)
    assert read(mem + "/memory.memsw.limit_in_bytes") == str(48 << 20)
    run_ocirun("update", "--memory-swap", "64m", running, check=True)
    assert read(mem + "/memory.memsw.limit_in_bytes") == str(64 << 20)
    assert read(mem + "/memory.limit_in_bytes") == str(32 << 20)
    r = run_ocirun("update", "--memory-swap", "16m", running)
    assert r.returncode == 1 and "memory.swap" in r.stderr, r.stderr


def test_update_resources_file_and_stdin(running, run_ocirun, cg_path, test_dir):
    res = test_dir / "res.json"
    res.write_text(json.dumps({"memory": {"limit": 80 << 20}, "pids": {"limit": 44},
                               "devices": [{"allow": True, "access": "rwm"}]}))
    # with -r the flags are ignored, as in runc
    run_ocirun("update", "-r", str(res), "--pids-limit", "7", running, check=True)
    assert read(v1_dir("memory", cg_path) + "/memory.limit_in_bytes") == str(80 << 20)
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "44"
    # device rules are not touched by update (runc keeps the created ones)
    assert "a *:* rwm" not in read(v1_dir("devices", cg_path) + "/devices.list")
    run_ocirun("update", "--resources", "-", running, input='{"pids": {"limit": 55}}',
               check=True)
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "55"
    r = run_ocirun("update", "-r", "-", running, input='{"pids": {"limit": "many"}}')
    assert r.returncode == 1 and "pids.limit" in r.stderr, r.stderr
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "55"


@pytest.mark.parametrize("args, words", [
    (["--memory", "abc"], "invalid value for memory: invalid size: 'abc'"),
    (["--cpu-share", "-5"], "invalid value for cpu-share"),
    (["--pids-limit", "1x"], "invalid value for pids-limit"),
    (["--blkio-weight", "5"], "linux.resources.blockIO.weight: 5 is not in 10..1000"),
    (["--cpu-rt-period", "1000", "--cpu-rt-runtime", "2000"],
     "linux.resources.cpu.realtimeRuntime"),
    (["--l3-cache-schema", "L3:0=f"], "--l3-cache-schema: Intel RDT is not supported"),
    (["--cpuset-cpus", "4095"], "cpuset.cpus"),
])
def test_update_errors_name_the_field(running, run_ocirun, cg_path, args, words):
    r = run_ocirun("update", *args, running)
    assert r.returncode == 1 and words in r.stderr, r.stderr
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "100", "nothing else changed"


def test_update_v1_flags_applied(running, run_ocirun, cg_path):
    """--blkio-weight and the realtime flags were refused on this host before
    #7; now they land in blkio.bfq.weight (or CFQ's blkio.weight) and
    cpu.rt_period_us / cpu.rt_runtime_us."""
    r = run_ocirun("update", "--blkio-weight", "300", "--cpu-rt-period", "100000",
                   "--cpu-rt-runtime", "4000", running)
    assert r.returncode == 0, r.stderr
    blk = v1_dir("blkio", cg_path)
    weight = blk + ("/blkio.weight" if os.path.exists(blk + "/blkio.weight")
                    else "/blkio.bfq.weight")
    assert read(weight).split()[-1] == "300"
    assert read(v1_dir("cpu", cg_path) + "/cpu.rt_period_us") == "100000"
    assert read(v1_dir("cpu", cg_path) + "/cpu.rt_runtime_us") == "4000"


def test_update_kernel_memory_warns(running, run_ocirun, cg_path):
    before = read(v1_dir("memory", cg_path) + "/memory.kmem.limit_in_bytes") \
        if os.path.exists(v1_dir("memory", cg_path) + "/memory.kmem.limit_in_bytes") else None
    r = run_ocirun("update", "--kernel-memory", "10m", "--pids-limit", "12", running)
    assert r.returncode == 0, r.stderr
    assert "Kernel memory settings are ignored" in r.stderr
    assert read(v1_dir("pids", cg_path) + "/pids.max") == "12"
    if before is not None:
        assert read(v1_dir("memory", cg_path) + "/memory.kmem.limit_in_bytes") == before


def test_update_pids_limit_enforced(bundle, run_ocirun, unique_id, cg_path):
    """The new limit is real: the kernel refuses the container's forks."""
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")
    set_cgroup(bundle, cg_path, {"pids": {"limit": 100}},
               args=["/bin/sh", "-c", "while :; do /bin/true; sleep 0.05; done"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    pids = v1_dir("pids", cg_path)
    assert read(pids + "/pids.events") == "max 0"
    run_ocirun("update", "--pids-limit", "-1", unique_id, check=True)
    assert read(pids + "/pids.max") == "max"
    run_ocirun("update", "--pids-limit", "1", unique_id, check=True)
    assert read(pids + "/pids.max") == "1"
    assert wait_for(lambda: int(read(pids + "/pids.events").split()[1]) >= 1), \
        "a fork was refused at pids.max"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_update_stopped_container(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    run_ocirun("kill", unique_id, "KILL", check=True)
    assert wait_for(lambda: json.loads(run_ocirun("state", unique_id).stdout)["status"]
                    == "stopped")
    r = run_ocirun("update", "--memory", "100m", unique_id)
    assert r.returncode == 1 and "container not running" in r.stderr, r.stderr
    r = run_ocirun("update", "--memory", "100m", "no-such-container")
    assert r.returncode == 1 and "container does not exist" in r.stderr, r.stderr
    run_ocirun("delete", unique_id, check=True)


def test_v2_update(ocirun, tmp_root, bundle, unique_id, cg_path):
    """On the unified path only what cgroup2 offers here is real; a limit
    whose controller is missing is an error naming the field."""
    if not (os.path.isdir(UNIFIED) or os.path.exists("/sys/fs/cgroup/cgroup.controllers")):
        pytest.skip("no cgroup2 hierarchy on this host")
    base = UNIFIED if is_hybrid() else "/sys/fs/cgroup"
    controllers = read(base + "/cgroup.controllers").split()
    v2_bundle(bundle, cg_path, ["/bin/sleep", "600"])
    try:
        r = run_v2(ocirun, tmp_root, "run", "-d", "--bundle", bundle.path, unique_id)
        assert r.returncode == 0, r.stderr
        r = run_v2(ocirun, tmp_root, "update", "--pids-limit", "20", unique_id)
        if "pids" in controllers:
            assert r.returncode == 0, r.stderr
            assert read(base + cg_path + "/pids.max") == "20"
        else:
            assert r.returncode == 1
            assert "linux.resources.pids.limit: the pids cgroup controller is not available" \
                in r.stderr, r.stderr
    finally:
        run_v2(ocirun, tmp_root, "delete", "--force", unique_id)
    assert not os.path.exists(base + cg_path)
