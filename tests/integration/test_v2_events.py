"""events on a pure cgroup v2 host (issue #5): `--stats` with runc 1.1.5's
field names and values read from the v2 files (cpu usage grows under a busy
loop, memory usage under its limit, swap reported as memory+swap as runc
does), and the stream: stats every --interval and {"type":"oom"} when the
kernel OOM-kills in the container's cgroup (memory.events)."""

import json
import os

import pytest

from v2effects_util import (MiB, cg_keyed, cg_path, cg_read, place, procs_of,  # noqa: F401
                            v2host, wait_for, wait_stopped)

pytestmark = [pytest.mark.vm, pytest.mark.root]

BUSY = ["/bin/sh", "-c", "while :; do :; done"]


def events(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def watching_memory_events(pid):
    """True once process pid has an inotify watch (events' OOM source):
    an OOM before that would be missed, not reported."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fdinfo"):
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                if "inotify wd:" in f.read():
                    return True
    except OSError:
        pass
    return False


def stats(run_ocirun, cid):
    r = run_ocirun("events", "--stats", cid, check=True, timeout=20)
    (ev,) = events(r.stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    return ev["data"]


def test_stats_fields_and_values(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"memory": {"limit": 64 * MiB, "swap": 96 * MiB},
                            "pids": {"limit": 50},
                            "cpu": {"quota": 50000, "period": 100000}}, args=BUSY)
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: cg_keyed(cg_path, "cpu.stat")["usage_usec"] > 50000)
    data = stats(run_ocirun, unique_id)
    assert set(data) >= {"cpu", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                         "network_interfaces"}

    usage = data["cpu"]["usage"]
    assert set(usage) >= {"total", "percpu", "percpu_kernel", "percpu_user", "kernel", "user"}
    assert usage["total"] >= 50000 * 1000, "ns, from cpu.stat usage_usec"
    assert usage["user"] + usage["kernel"] <= usage["total"] + 20_000_000
    throttling = data["cpu"]["throttling"]
    assert throttling["periods"] > 0 and throttling["throttled_periods"] > 0, throttling

    mem = data["memory"]
    assert set(mem) >= {"usage", "swap", "kernel", "kernelTCP", "raw"}
    assert mem["usage"]["limit"] == 64 * MiB
    assert 0 < mem["usage"]["usage"] <= 64 * MiB
    assert mem["usage"]["usage"] <= mem["usage"]["max"]
    # memory+swap, v1's meaning, as runc reports it on v2
    assert mem["swap"]["limit"] == 96 * MiB
    assert mem["swap"]["usage"] >= mem["usage"]["usage"]
    assert mem["raw"]["anon"] >= 0 and "file" in mem["raw"]

    assert data["pids"] == {"current": 1, "limit": 50}

    # the busy loop keeps counting
    later = wait_for(lambda: stats(run_ocirun, unique_id)["cpu"]["usage"]["total"]
                     > usage["total"], 10)
    assert later, "cpu usage grows"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_stats_unlimited(v2host, bundle, run_ocirun, unique_id, cg_path):
    """No limits: runc's numbers for "max" (2^64-1 for memory, 0 for pids)."""
    place(bundle, cg_path, args=["/bin/ocitest", "fork-sleep", "2", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: len(procs_of(cg_path)) == 3)
    data = stats(run_ocirun, unique_id)
    assert data["pids"] == {"current": 3, "limit": 0}
    assert data["memory"]["usage"]["limit"] == 2**64 - 1
    assert data["memory"]["swap"]["limit"] == 2**64 - 1
    assert data["cpu"]["throttling"] == {}
    run_ocirun("delete", "--force", unique_id, check=True)


def test_events_stream_until_stopped(v2host, bundle, run_ocirun, spawn_ocirun, unique_id,
                                     cg_path):
    place(bundle, cg_path, {"pids": {"limit": 20}}, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    bg = spawn_ocirun("events", "--interval", "1s", unique_id)
    assert wait_for(lambda: len(events(bg.stdout)) >= 2, 30), bg.stderr
    assert bg.running(), "events keeps going while the container runs"
    run_ocirun("kill", unique_id, "KILL", check=True)
    r = bg.wait(timeout=20)
    assert r.returncode == 0, r.stderr
    got = events(r.stdout)
    assert all(e["type"] == "stats" and e["id"] == unique_id for e in got), got
    assert got[0]["data"]["pids"] == {"current": 1, "limit": 20}
    run_ocirun("delete", unique_id, check=True)


def test_events_reports_oom(v2host, bundle, run_ocirun, spawn_ocirun, unique_id, cg_path):
    place(bundle, cg_path, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}},
          args=["/bin/ocitest", "alloc", "200"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    bg = spawn_ocirun("events", "--interval", "60s", unique_id)
    assert wait_for(lambda: watching_memory_events(bg.pid)), bg.stderr
    run_ocirun("start", unique_id, check=True)
    r = bg.wait(timeout=60)
    assert r.returncode == 0, r.stderr
    assert cg_keyed(cg_path, "memory.events")["oom_kill"] >= 1
    got = events(r.stdout)
    assert {"type": "oom", "id": unique_id} in got, r.stdout
    run_ocirun("delete", unique_id, check=True)


def test_events_oom_of_a_child(v2host, bundle, run_ocirun, spawn_ocirun, unique_id, cg_path):
    """An OOM kill of a child is reported while the container goes on."""
    place(bundle, cg_path, {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}},
          args=["/bin/sh", "-c", "/bin/ocitest alloc 200; exec /bin/sleep 600"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    bg = spawn_ocirun("events", "--interval", "60s", unique_id)
    assert wait_for(lambda: watching_memory_events(bg.pid)), bg.stderr
    run_ocirun("start", unique_id, check=True)
    assert wait_for(lambda: {"type": "oom", "id": unique_id} in events(bg.stdout), 30), \
        (bg.stdout, bg.stderr, cg_read(cg_path, "memory.events"))
    assert bg.running(), "the container still runs"
    run_ocirun("kill", unique_id, "KILL", check=True)
    assert bg.wait(timeout=20).returncode == 0
    run_ocirun("delete", unique_id, check=True)
