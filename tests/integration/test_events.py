"""events (issues #5, #7): `--stats` prints one stats event with runc
1.1.5's field names (checked by running `runc events --stats` on this
host) and exits; without it a stats event every --interval and an "oom"
event when the kernel reports one, until the container stops."""

import json
import os
import time

import pytest

from cgroupops_util import UNIFIED, is_hybrid, read, run_v2, set_cgroup, v1_dir, v2_bundle

pytestmark = pytest.mark.root


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


@pytest.fixture
def hybrid_only():
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")


def events(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_stats_fields_and_values(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"limit": 64 << 20}, "pids": {"limit": 50}},
               args=["/bin/ocitest", "fork-sleep", "3", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    procs = v1_dir("pids", cg_path) + "/cgroup.procs"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(read(procs).split()) < 4:
        time.sleep(0.05)
    r = run_ocirun("events", "--stats", unique_id, check=True, timeout=10)
    (ev,) = events(r.stdout)
    assert ev["type"] == "stats" and ev["id"] == unique_id
    data = ev["data"]
    assert set(data) >= {"cpu", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                         "network_interfaces"}
    assert data["pids"] == {"current": int(read(v1_dir("pids", cg_path) + "/pids.current")),
                            "limit": 50}
    assert data["pids"]["current"] == 4
    mem = data["memory"]
    assert mem["usage"]["limit"] == 64 << 20
    assert 0 < mem["usage"]["usage"] <= mem["usage"]["max"]
    assert set(mem) >= {"usage", "swap", "kernel", "kernelTCP", "raw"}
    assert mem["raw"]["hierarchical_memory_limit"] == 64 << 20
    usage = data["cpu"]["usage"]
    assert set(usage) == {"total", "percpu", "percpu_kernel", "percpu_user", "kernel", "user"}
    assert usage["total"] > 0 and len(usage["percpu"]) == os.cpu_count()
    assert data["cpu"]["throttling"] == {}
    run_ocirun("delete", "--force", unique_id, check=True)


def test_events_stream_until_stopped(hybrid_only, bundle, run_ocirun, spawn_ocirun, unique_id,
                                     cg_path):
    set_cgroup(bundle, cg_path, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    bg = spawn_ocirun("events", "--interval", "1s", unique_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(events(bg.stdout)) < 2:
        time.sleep(0.1)
    assert bg.running(), "events keeps going while the container runs"
    run_ocirun("kill", unique_id, "KILL", check=True)
    r = bg.wait(timeout=10)
    assert r.returncode == 0, r.stderr
    got = events(r.stdout)
    assert len(got) >= 2 and all(e["type"] == "stats" and e["id"] == unique_id for e in got)
    assert got[0]["data"]["pids"]["current"] == 1
    run_ocirun("delete", unique_id, check=True)


def test_events_oom(hybrid_only, bundle, run_ocirun, spawn_ocirun, unique_id, cg_path):
    mem = {"limit": 32 << 20}
    if os.path.exists(v1_dir("memory", "/memory.memsw.limit_in_bytes")):
        mem["swap"] = 32 << 20  # no swap: the allocation must hit the limit
    set_cgroup(bundle, cg_path, {"memory": mem}, args=["/bin/ocitest", "alloc", "200"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    bg = spawn_ocirun("events", "--interval", "60s", unique_id)
    time.sleep(0.3)  # let events register for OOM notifications
    run_ocirun("start", unique_id, check=True)
    r = bg.wait(timeout=30)
    assert r.returncode == 0, r.stderr
    failcnt = int(read(v1_dir("memory", cg_path) + "/memory.failcnt"))
    oom_control = read(v1_dir("memory", cg_path) + "/memory.oom_control")
    if "oom_kill 0" in oom_control:
        pytest.skip(f"the kernel did not OOM-kill here (failcnt {failcnt}): {oom_control}")
    got = events(r.stdout)
    assert {"type": "oom", "id": unique_id} in got, r.stdout
    run_ocirun("delete", unique_id, check=True)


@pytest.mark.parametrize("args, words", [
    (["--interval", "0s"], "duration interval must be greater than 0"),
    (["--interval", "soon"], "for flag -interval: parse error"),
])
def test_events_bad_interval(run_ocirun, unique_id, args, words):
    r = run_ocirun("events", *args, unique_id)
    assert r.returncode == 1 and words in r.stderr, r.stderr


def test_events_stopped_or_missing(bundle, run_ocirun, unique_id, cg_path):
    r = run_ocirun("events", "--stats", "no-such-container")
    assert r.returncode == 1 and "container does not exist" in r.stderr, r.stderr
    set_cgroup(bundle, cg_path, args=["/bin/true"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and \
            json.loads(run_ocirun("state", unique_id).stdout)["status"] != "stopped":
        time.sleep(0.05)
    r = run_ocirun("events", "--stats", unique_id)
    assert r.returncode == 1
    assert f"container with id {unique_id} is not running" in r.stderr, r.stderr
    run_ocirun("delete", unique_id, check=True)


def test_v2_stats(ocirun, tmp_root, bundle, unique_id, cg_path):
    """On the unified path: pids.current where the pids controller exists,
    else the number of processes listed in cgroup.procs."""
    if not (os.path.isdir(UNIFIED) or os.path.exists("/sys/fs/cgroup/cgroup.controllers")):
        pytest.skip("no cgroup2 hierarchy on this host")
    v2_bundle(bundle, cg_path, ["/bin/ocitest", "fork-sleep", "2", "600"])
    base = UNIFIED if is_hybrid() else "/sys/fs/cgroup"
    try:
        r = run_v2(ocirun, tmp_root, "run", "-d", "--bundle", bundle.path, unique_id)
        assert r.returncode == 0, r.stderr
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and \
                len(read(base + cg_path + "/cgroup.procs").split()) < 3:
            time.sleep(0.05)
        r = run_v2(ocirun, tmp_root, "events", "--stats", unique_id)
        assert r.returncode == 0, r.stderr
        (ev,) = events(r.stdout)
        assert ev["type"] == "stats" and ev["id"] == unique_id
        assert ev["data"]["pids"]["current"] == 3
        assert set(ev["data"]["cpu"]["usage"]) >= {"total", "kernel", "user"}
    finally:
        run_v2(ocirun, tmp_root, "delete", "--force", unique_id)
    assert not os.path.exists(base + cg_path)
