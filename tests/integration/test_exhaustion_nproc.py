"""RLIMIT_NPROC reached for the caller (issue #14, exhaustion).

The kernel never applies RLIMIT_NPROC to uid 0 (nor to a caller with
CAP_SYS_RESOURCE or CAP_SYS_ADMIN), so the test runs ocirun rootless as a
real unprivileged user: the user and its per-test runtime dir come from
test_rootless.py's fixtures.  The user already runs a few processes (the
"holders"); the limit is set, through `prlimit` run as root before setpriv,
to the user's process count once ocirun itself runs: ocirun can exec, but
its first clone fails with EAGAIN.

ocirun must then exit 1 with one clear error line naming the operation and
"Resource temporarily unavailable", and leave nothing: no state dir entry,
no process of the user besides the holders, no cgroup named after the id.
`delete -f` and `list` stay sane (under the limit too), and once the limit
is lifted the same id runs.
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from test_rootless import CGROUP_WARNING, _user_pids, rl, ruser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.root

HOLDERS = 3
PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"
EAGAIN_TEXT = "Resource temporarily unavailable"


@pytest.fixture
def holders(rl):
    """HOLDERS sleeping processes of the user: the limit is reached with
    real processes, not at a count of zero."""
    if not os.access(PRLIMIT, os.X_OK):
        pytest.skip("prlimit not found (util-linux)")
    started = [subprocess.Popen(["setpriv", f"--reuid={rl.user.uid}", f"--regid={rl.user.gid}",
                                 "--clear-groups", "/bin/sleep", "1000"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
               for _ in range(HOLDERS)]
    try:
        mine = sorted(p.pid for p in started)
        assert wait_for(lambda: sorted(_user_pids(rl.user.uid)) == mine, 10), \
            _user_pids(rl.user.uid)
        yield [p.pid for p in started]
    finally:
        for p in started:
            p.kill()
            p.wait()


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def limited(rl, n):
    """ocirun calls of rl run under RLIMIT_NPROC n (soft and hard).  In a
    sanitizer build LeakSanitizer's exit-time check must clone a thread,
    which the limit forbids ("LeakSanitizer has encountered a fatal
    error"): leak checking is off for these calls only (no effect on other
    builds)."""
    rl.prefix = ["/usr/bin/env", "ASAN_OPTIONS=detect_leaks=0", PRLIMIT, f"--nproc={n}:{n}", "--"]


def unlimited(rl):
    rl.prefix = []


def errors(r):
    """stderr lines other than the rootless cgroup warning."""
    return [line for line in r.stderr.splitlines() if line.strip() and CGROUP_WARNING not in line]


def cgroups_named(cid):
    found = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(top, d) for d in dirs if d == cid]
    return found


def listed(rl):
    r = rl.run("list", "--format", "json")
    assert r.returncode == 0, r.stderr
    return [c["id"] for c in json.loads(r.stdout) or []]


def assert_nothing_left(rl, cid, holders):
    assert not (rl.state_dir() / cid).exists()
    assert wait_for(lambda: sorted(_user_pids(rl.user.uid)) == sorted(holders), 10), \
        f"processes left: {_user_pids(rl.user.uid)}"
    assert cgroups_named(cid) == []


@pytest.mark.parametrize("how", ["run", "create", "run-d"])
def test_nproc_reached_for_the_caller(rl, holders, unique_id, how):
    rl.set_args(["/bin/true"] if how == "run" else ["/bin/sleep", "1000"])
    rl.write()
    # the holders, and ocirun itself: its first clone makes one too many
    limited(rl, HOLDERS + 1)
    args = {"run": ["run"], "create": ["create"], "run-d": ["run", "-d"]}[how]
    r = rl.run(*args, "--bundle", rl.bundle.path, unique_id)
    lines = errors(r)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    assert EAGAIN_TEXT in lines[0] and "clone" in lines[0], lines[0]
    assert_nothing_left(rl, unique_id, holders)
    # still under the limit: delete -f of the id that never was, and list
    r = rl.run("delete", "-f", unique_id)
    assert r.returncode == 0, r.stderr
    assert listed(rl) == []
    # the limit lifted: the same id works
    unlimited(rl)
    rl.set_args(["/bin/true"])
    rl.write()
    r = rl.run("run", unique_id)
    assert r.returncode == 0, r.stderr
    assert_nothing_left(rl, unique_id, holders)


def test_exec_with_nproc_reached(rl, holders, unique_id):
    """The container runs (its init is one more process of the user); an
    exec under a limit that the running processes already reach fails
    cleanly and leaves the container running."""
    rl.set_args(["/bin/sleep", "1000"])
    rl.write()
    rl.run_ok("run", "-d", "--bundle", rl.bundle.path, unique_id)
    running = _user_pids(rl.user.uid)
    limited(rl, len(running) + 1)
    r = rl.run("exec", unique_id, "/bin/true")
    lines = errors(r)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    assert "clone the exec process" in lines[0] and EAGAIN_TEXT in lines[0], lines[0]
    assert wait_for(lambda: sorted(_user_pids(rl.user.uid)) == sorted(running), 10)
    r = rl.run("state", unique_id)
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "running", r.stderr
    assert listed(rl) == [unique_id]
    r = rl.run("delete", "-f", unique_id)
    assert r.returncode == 0, r.stderr
    assert listed(rl) == []
    assert_nothing_left(rl, unique_id, holders)
