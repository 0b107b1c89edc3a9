"""Crash safety (issue #14): ocirun SIGKILLed at a named step of create,
start, exec or delete leaves a host that `state`, `list` and `delete -f`
can make sense of and clean, with no human help.

Needs a binary built with `./configure --enable-fault-injection` (its
`--version` feature line shows +FAULT); otherwise every test here skips and
says so.  OCIRUN_FAULT=STEP makes ocirun raise SIGKILL at STEP (src/lib/fault.h).

For every step the test checks, after the kill:
  - ocirun died of SIGKILL (the point is reached, so the step exists);
  - `state ID` answers: exit 0 with the expected status, or exit 1 with
    "container does not exist" -- never a crash or a hang;
  - `list` shows the id exactly when `state` knows it, with the same status;
  - `delete -f ID` exits 0 and removes the state dir, the cgroup in every
    hierarchy and every process of the container (the leak guard of
    tests/conftest.py checks mounts, processes and cgroups once more);
  - a new container with the same id can then be created and deleted.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from cgroup_dirs_util import hierarchies, cgroup_dirs, cgroup_procs, errmsg

pytestmark = pytest.mark.root



def _has_fault_injection():
    binary = os.environ.get("OCIRUN") or os.path.join(
        os.environ.get("OCIRUN_BUILDDIR", ""), "ocirun")
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except OSError:
        return False
    return "+FAULT" in out.split()


if not _has_fault_injection():
    # printed too, so a plain `pytest -q` run says why nothing ran here
    print("test_faults.py: skipped: ocirun was built without --enable-fault-injection "
          "(no +FAULT in `ocirun --version`)")
    pytestmark = [pytest.mark.root, pytest.mark.skip(
        reason="ocirun built without --enable-fault-injection (no +FAULT in --version)")]


# ---- helpers -------------------------------------------------------------------










def fault(step):
    return {"OCIRUN_FAULT": step}


def killed(result):
    return result.returncode == -signal.SIGKILL


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def status_of(run_ocirun, cid):
    """The status `state` reports, or None for "container does not exist"."""
    r = run_ocirun("state", cid, timeout=15)
    if r.returncode == 0:
        return json.loads(r.stdout)["status"]
    assert r.returncode == 1 and "container does not exist" in errmsg(r), \
        f"state answered neither a status nor 'does not exist': rc={r.returncode} {r.stderr}"
    return None


def listed(run_ocirun, cid):
    r = run_ocirun("list", "--format", "json", check=True, timeout=15)
    rows = json.loads(r.stdout) or []
    return {row["id"]: row["status"] for row in rows}.get(cid)


def check_state_and_list(run_ocirun, cid, expected):
    status = status_of(run_ocirun, cid)
    assert status in expected, f"state says {status!r}, expected one of {expected}"
    assert listed(run_ocirun, cid) == status, "list disagrees with state"
    return status


def check_cleaned(run_ocirun, tmp_root, cid, cg):
    r = run_ocirun("delete", "-f", cid, timeout=30)
    assert r.returncode == 0, f"delete -f failed: {r.stderr}"
    assert not os.path.lexists(tmp_root / cid), "state dir left behind"
    assert cgroup_dirs(cg) == [], f"cgroups left: {cgroup_dirs(cg)}"
    assert status_of(run_ocirun, cid) is None
    assert listed(run_ocirun, cid) is None


def check_reusable(run_ocirun, bundle, cid, cg):
    run_ocirun("create", "--bundle", bundle.path, cid, check=True)
    assert status_of(run_ocirun, cid) == "created"
    run_ocirun("delete", "-f", cid, check=True)
    assert cgroup_dirs(cg) == []


@pytest.fixture
def cg(unique_id):
    return f"/ocirun-test-{unique_id}"


@pytest.fixture
def sleeper(bundle, cg):
    bundle.set_args(["/bin/sleep", "1000"])
    bundle.config["linux"]["cgroupsPath"] = cg
    bundle.write()
    return bundle


# ---- create ---------------------------------------------------------------------

# step -> what `state` may say afterwards (None: "container does not exist").
# Before state.json names the cgroup there is only the state dir; from
# "after-cgroup" on it does, with status "stopped" (no live init recorded, or
# the init gone: it exits on EOF when the create dies before COMMIT).
CREATE_STEPS = {
    "create.after-state-dir": {None},
    "create.after-cgroup": {"stopped"},
    "create.after-clone": {"stopped"},
    "create.after-mounts": {"stopped"},
    "create.after-state": {"stopped"},
    "create.after-pid-file": {"stopped"},
}


@pytest.mark.parametrize("step", sorted(CREATE_STEPS))
def test_create_killed(step, sleeper, run_ocirun, tmp_root, unique_id, cg, test_dir):
    pidfile = test_dir / "pid"
    r = run_ocirun("create", "--bundle", sleeper.path, "--pid-file", pidfile, unique_id,
                   env=fault(step))
    assert killed(r), f"create did not die at {step}: rc={r.returncode} {r.stderr}"
    # the init, if any, notices the dead parent and exits on its own
    assert wait_for(lambda: cgroup_procs(cg) == set()), f"left running: {cgroup_procs(cg)}"
    check_state_and_list(run_ocirun, unique_id, CREATE_STEPS[step])
    if step != "create.after-state-dir":
        assert cgroup_dirs(cg), "the cgroup should exist (recorded in state.json)"
    # start must refuse, not hang or crash
    r = run_ocirun("start", unique_id, timeout=15)
    assert r.returncode != 0
    check_cleaned(run_ocirun, tmp_root, unique_id, cg)
    check_reusable(run_ocirun, sleeper, unique_id, cg)


# ---- start ----------------------------------------------------------------------

START_STEPS = {"start.before-release": "created", "start.after-release": "running"}


@pytest.mark.parametrize("step", sorted(START_STEPS))
def test_start_killed(step, sleeper, run_ocirun, tmp_root, unique_id, cg):
    run_ocirun("create", "--bundle", sleeper.path, unique_id, check=True)
    r = run_ocirun("start", unique_id, env=fault(step))
    assert killed(r), f"start did not die at {step}: rc={r.returncode} {r.stderr}"
    check_state_and_list(run_ocirun, unique_id, {START_STEPS[step]})
    if step == "start.before-release":
        # nothing happened yet: a second start works
        run_ocirun("start", unique_id, check=True)
        assert status_of(run_ocirun, unique_id) == "running"
    check_cleaned(run_ocirun, tmp_root, unique_id, cg)
    assert cgroup_procs(cg) == set()
    check_reusable(run_ocirun, sleeper, unique_id, cg)


# ---- exec -----------------------------------------------------------------------


@pytest.mark.parametrize("step", ["exec.after-clone", "exec.before-pid-file"])
def test_exec_killed(step, sleeper, run_ocirun, tmp_root, unique_id, cg, test_dir):
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    init = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
    r = run_ocirun("exec", "-d", "--pid-file", test_dir / "xpid", unique_id,
                   "/bin/sleep", "999", env=fault(step))
    assert killed(r), f"exec did not die at {step}: rc={r.returncode} {r.stderr}"
    assert not (test_dir / "xpid").exists()
    # the container itself is untouched
    check_state_and_list(run_ocirun, unique_id, {"running"})
    assert json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"] == init
    # a half-made exec (joiner) goes away by itself; a finished one is a
    # process of the container, in its cgroup, and delete -f takes it too
    if step == "exec.after-clone":
        assert wait_for(lambda: cgroup_procs(cg) == {init}), cgroup_procs(cg)
    # a later exec still works
    r = run_ocirun("exec", unique_id, "/bin/true", timeout=30)
    assert r.returncode == 0, r.stderr
    check_cleaned(run_ocirun, tmp_root, unique_id, cg)
    check_reusable(run_ocirun, sleeper, unique_id, cg)


# ---- delete ---------------------------------------------------------------------

DELETE_STEPS = ["delete.after-kill", "delete.after-cgroup", "delete.before-state-removal"]


@pytest.mark.parametrize("step", DELETE_STEPS)
def test_delete_killed(step, sleeper, run_ocirun, tmp_root, unique_id, cg):
    run_ocirun("run", "-d", "--bundle", sleeper.path, unique_id, check=True)
    r = run_ocirun("delete", "-f", unique_id, env=fault(step))
    assert killed(r), f"delete did not die at {step}: rc={r.returncode} {r.stderr}"
    check_state_and_list(run_ocirun, unique_id, {"stopped"})
    assert cgroup_procs(cg) == set()
    if step != "delete.after-kill":
        assert cgroup_dirs(cg) == []
    check_cleaned(run_ocirun, tmp_root, unique_id, cg)
    check_reusable(run_ocirun, sleeper, unique_id, cg)


@pytest.mark.parametrize("step", DELETE_STEPS)
def test_delete_killed_then_plain_delete(step, sleeper, run_ocirun, tmp_root, unique_id, cg):
    """Without --force too: the container is stopped, so a plain delete
    finishes what the killed one began."""
    run_ocirun("create", "--bundle", sleeper.path, unique_id, check=True)
    r = run_ocirun("delete", unique_id, env=fault(step))
    assert killed(r), f"delete did not die at {step}: rc={r.returncode} {r.stderr}"
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 0, r.stderr
    assert not os.path.lexists(tmp_root / unique_id)
    assert cgroup_dirs(cg) == []


def test_unknown_step_is_ignored(sleeper, run_ocirun, unique_id, cg):
    """A step name that matches nothing changes nothing."""
    run_ocirun("create", "--bundle", sleeper.path, unique_id, check=True,
               env=fault("no.such-step"))
    assert status_of(run_ocirun, unique_id) == "created"
    run_ocirun("delete", unique_id, check=True, env=fault("no.such-step"))
    assert cgroup_dirs(cg) == []
