"""pause / resume on a pure cgroup v2 host (issue #5): cgroup.freeze, the
wait for "frozen 1" in cgroup.events, and the effect -- a busy loop stops
counting while paused and goes on after resume. Also what may and may not
be done to a paused container (exec fails clearly, delete --force works)."""

import os
import time

import pytest

from v2effects_util import (cg_dir, cg_keyed, cg_path, cg_read, gone, place,  # noqa: F401
                            procs_of, state, status, v2host, wait_for, wait_stopped)

pytestmark = [pytest.mark.vm, pytest.mark.root]

# the counter is the size of a file the container keeps appending to
COUNTER = ["/bin/sh", "-c", "while :; do echo x >> /tmp/c; done"]


def counter(bundle):
    try:
        return (bundle.rootfs / "tmp" / "c").stat().st_size
    except OSError:
        return 0


def test_pause_stops_a_busy_loop_and_resume_continues(v2host, bundle, run_ocirun, unique_id,
                                                      cg_path):
    place(bundle, cg_path, args=COUNTER, writable=True)
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: counter(bundle) > 10), "the counter runs"

    run_ocirun("pause", unique_id, check=True)
    assert status(run_ocirun, unique_id) == "paused"
    assert cg_read(cg_path, "cgroup.freeze") == "1"
    assert cg_keyed(cg_path, "cgroup.events")["frozen"] == 1
    frozen_at = counter(bundle)
    time.sleep(1)
    assert counter(bundle) == frozen_at, "no process runs while paused"
    # the init is still there, in the frozen cgroup
    assert procs_of(cg_path) != []

    run_ocirun("resume", unique_id, check=True)
    assert status(run_ocirun, unique_id) == "running"
    assert cg_read(cg_path, "cgroup.freeze") == "0"
    assert cg_keyed(cg_path, "cgroup.events")["frozen"] == 0
    assert wait_for(lambda: counter(bundle) > frozen_at + 10), "it counts again"
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


def test_pause_freezes_forked_children(v2host, bundle, run_ocirun, unique_id, cg_path):
    """Every process of the cgroup is frozen, not only the init."""
    place(bundle, cg_path, args=["/bin/ocitest", "fork-sleep", "3", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: len(procs_of(cg_path)) == 4)
    run_ocirun("pause", unique_id, check=True)
    for pid in procs_of(cg_path):
        with open(f"/proc/{pid}/stat") as f:
            # a frozen task sleeps in the freezer ("S"), never runs ("R")
            assert f.read().rsplit(")", 1)[1].split()[0] in ("S", "D"), pid
    run_ocirun("resume", unique_id, check=True)
    run_ocirun("delete", "--force", unique_id, check=True)


def test_exec_into_paused_container_fails(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    run_ocirun("pause", unique_id, check=True)
    r = run_ocirun("exec", unique_id, "/bin/true", timeout=30)
    assert r.returncode != 0
    assert "cannot exec in a paused container" in r.stderr, r.stderr
    assert len(procs_of(cg_path)) == 1, "nothing was started in the frozen cgroup"
    assert status(run_ocirun, unique_id) == "paused"
    run_ocirun("resume", unique_id, check=True)
    r = run_ocirun("exec", unique_id, "/bin/ocitest", "cat", "/proc/self/cgroup", check=True)
    assert f"0::{cg_path}" in r.stdout, r.stdout
    run_ocirun("delete", "--force", unique_id, check=True)


def test_delete_force_of_paused_container(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, args=["/bin/ocitest", "fork-sleep", "3", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    assert wait_for(lambda: len(procs_of(cg_path)) == 4)
    pid = state(run_ocirun, unique_id)["pid"]
    run_ocirun("pause", unique_id, check=True)
    r = run_ocirun("delete", unique_id)
    assert r.returncode != 0 and "paused" in r.stderr, r.stderr
    assert status(run_ocirun, unique_id) == "paused"
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert not os.path.exists(cg_dir(cg_path))
    r = run_ocirun("state", unique_id)
    assert r.returncode != 0 and "does not exist" in r.stderr
    assert wait_for(lambda: gone(pid), 5)


def test_kill_paused_container(v2host, bundle, run_ocirun, unique_id, cg_path):
    """The v2 freezer lets fatal signals through (v1's does not): SIGKILL
    stops a paused container without a resume, and delete copes with the
    frozen, empty cgroup."""
    place(bundle, cg_path, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    run_ocirun("pause", unique_id, check=True)
    run_ocirun("kill", unique_id, "KILL", check=True)
    assert wait_stopped(run_ocirun, unique_id)
    assert procs_of(cg_path) == []
    r = run_ocirun("resume", unique_id)
    assert r.returncode == 1 and "container not paused" in r.stderr, r.stderr
    run_ocirun("delete", unique_id, check=True)
    assert not os.path.exists(cg_dir(cg_path))


def test_pause_resume_errors(v2host, bundle, run_ocirun, unique_id, cg_path):
    place(bundle, cg_path, args=["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    r = run_ocirun("resume", unique_id)
    assert r.returncode == 1 and "container not paused" in r.stderr, r.stderr
    run_ocirun("pause", unique_id, check=True)
    r = run_ocirun("pause", unique_id)
    assert r.returncode == 1 and "container not running" in r.stderr, r.stderr
    assert cg_read(cg_path, "cgroup.freeze") == "1"
    run_ocirun("resume", unique_id, check=True)
    run_ocirun("delete", "--force", unique_id, check=True)
