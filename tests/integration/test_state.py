"""state, list, kill, delete and ps on real containers, with runc 1.1.5's
exact output shapes and wordings (checked against runc on this host):

  state:  the JSON indented by 2, no trailing newline, owner "", pid 0 once
          stopped; unknown id -> "container does not exist" (exit 1)
  list:   Go tabwriter (min width 12, padding 3), header only on an empty or
          missing root; json: one compact array, `null` when empty
  kill:   "container not running", `unknown signal "FOO"`
  delete: "cannot delete container ID that is not stopped: running";
          created containers are deleted without --force; -f on an unknown
          id succeeds
  create: "container with given ID already exists"
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

HEADER = "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"


def errmsg(result):
    """The error message ocirun printed (the msg="..." of its log line)."""
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', result.stderr)
    return json.loads(f'"{m.group(1)}"') if m else result.stderr


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def start_time(pid):
    """/proc/PID/stat's start time, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def state_of(run_ocirun, cid):
    r = run_ocirun("state", cid, check=True)
    return json.loads(r.stdout)


def status_of(run_ocirun, cid):
    return state_of(run_ocirun, cid)["status"]


@pytest.fixture
def sleeper(bundle):
    """A bundle whose process sleeps (as pid 1 it ignores TERM: no handler)."""
    bundle.set_args(["/bin/sleep", "1000"])
    return bundle


def create(run_ocirun, bundle, cid):
    return run_ocirun("create", "--bundle", bundle.path, cid, check=True)


# ---- empty roots ------------------------------------------------------------------

def test_list_empty_root(run_ocirun, tmp_root):
    r = run_ocirun("list", check=True)
    assert r.stdout == HEADER
    r = run_ocirun("list", "-f", "json", check=True)
    assert r.stdout == "null\n"
    r = run_ocirun("list", "--format=json", check=True)
    assert r.stdout == "null\n"
    r = run_ocirun("list", "-q", check=True)
    assert r.stdout == ""


def test_list_missing_root(run_ocirun, tmp_root):
    missing = tmp_root / "does-not-exist"
    r = run_ocirun("list", root=missing, check=True)
    assert r.stdout == HEADER
    assert run_ocirun("list", "--format", "json", root=missing, check=True).stdout == "null\n"
    assert not missing.exists()


def test_list_bad_format(run_ocirun, tmp_root):
    r = run_ocirun("list", "--format", "yaml")
    assert r.returncode == 1
    assert "invalid format option" in r.stderr


def test_unknown_and_invalid_ids(run_ocirun, tmp_root):
    for cmd in (["state"], ["kill"], ["delete"], ["ps"]):
        r = run_ocirun(*cmd, "nosuch")
        assert r.returncode == 1, cmd
        assert "container does not exist" in r.stderr, (cmd, r.stderr)
    for bad in ("../x", "a/b", "x" * 1025):
        r = run_ocirun("state", bad)
        assert r.returncode == 1
        assert "invalid container ID format" in r.stderr
    r = run_ocirun("delete", "-f", "nosuch")
    assert r.returncode == 0, r.stderr
    r = run_ocirun("delete", "--force", "nosuch")
    assert r.returncode == 0, r.stderr


def test_junk_in_root_is_skipped(run_ocirun, tmp_root):
    (tmp_root / "half-created").mkdir()
    (tmp_root / "a-file").write_text("x")
    (tmp_root / "garbage").mkdir()
    (tmp_root / "garbage" / "state.json").write_text("{not json")
    os.symlink("/tmp", tmp_root / "a-link")
    r = run_ocirun("list")
    assert r.returncode == 0
    assert r.stdout == HEADER
    assert "garbage" in r.stderr  # runc warns about a container it cannot load
    assert run_ocirun("list", "-f", "json").stdout == "null\n"
    r = run_ocirun("state", "garbage")
    assert r.returncode == 1 and "garbage/state.json" in r.stderr
    r = run_ocirun("state", "half-created")
    assert r.returncode == 1 and "container does not exist" in r.stderr
    # --force removes what a crashed create left behind
    assert run_ocirun("delete", "-f", "garbage").returncode == 0
    assert run_ocirun("delete", "-f", "half-created").returncode == 0
    assert not (tmp_root / "garbage").exists()
    assert not (tmp_root / "half-created").exists()


# ---- the life of a container ---------------------------------------------------

def test_state_through_the_lifecycle(run_ocirun, tmp_root, sleeper, unique_id):
    create(run_ocirun, sleeper, unique_id)
    r = run_ocirun("state", unique_id, check=True)
    assert not r.stdout.endswith("\n")  # runc writes the document alone
    assert r.stdout.startswith('{\n  "ociVersion": ')
    st = json.loads(r.stdout)
    assert st["id"] == unique_id
    assert st["status"] == "created"
    assert st["bundle"] == str(sleeper.path)
    assert st["rootfs"] == str(sleeper.rootfs)
    assert st["owner"] == ""
    assert "ocirun" not in st
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", st["created"])
    pid = st["pid"]
    assert pid > 0 and pid_alive(pid)

    run_ocirun("start", unique_id, check=True)
    assert wait_for(lambda: status_of(run_ocirun, unique_id) == "running")
    assert state_of(run_ocirun, unique_id)["pid"] == pid

    run_ocirun("kill", unique_id, "KILL", check=True)
    assert wait_for(lambda: status_of(run_ocirun, unique_id) == "stopped")
    st = state_of(run_ocirun, unique_id)
    assert st["pid"] == 0  # as runc: the pid may belong to someone else now

    run_ocirun("delete", unique_id, check=True)
    assert not (tmp_root / unique_id).exists()
    r = run_ocirun("state", unique_id)
    assert r.returncode == 1 and "container does not exist" in r.stderr


def test_duplicate_id(run_ocirun, tmp_root, sleeper, unique_id):
    create(run_ocirun, sleeper, unique_id)
    r = run_ocirun("create", "--bundle", sleeper.path, unique_id)
    assert r.returncode == 1
    assert "container with given ID already exists" in r.stderr
    assert status_of(run_ocirun, unique_id) == "created"  # the first one is untouched


def parse_table(text):
    lines = text.splitlines()
    return lines, [re.split(r"\s{3,}", line) for line in lines]


def test_list_table_and_json(run_ocirun, tmp_root, sleeper, make_id):
    a, b = make_id(), make_id() + "-with-a-longer-name"
    create(run_ocirun, sleeper, a)
    create(run_ocirun, sleeper, b)
    run_ocirun("start", b, check=True)
    r = run_ocirun("list", check=True)
    lines, rows = parse_table(r.stdout)
    assert rows[0] == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert [row[0] for row in rows[1:]] == sorted([a, b])
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[a][2] == "created" and by_id[b][2] == "running"
    assert by_id[a][3] == str(sleeper.path)
    assert by_id[a][5] == "root"
    # Go's tabwriter as runc sets it up: each column as wide as its widest
    # cell + 3, at least 12; the last column is not padded
    widths = [max(12, max(len(row[c]) + 3 for row in rows)) for c in range(5)]
    for line, row in zip(lines, rows):
        assert line == "".join(row[c].ljust(widths[c]) for c in range(5)) + row[5]
    assert lines[0].index("PID") == len(b) + 3

    r = run_ocirun("list", "-f", "json", check=True)
    assert r.stdout.endswith("]\n") and "\n" not in r.stdout[:-1]  # compact, one line
    items = json.loads(r.stdout)
    assert [i["id"] for i in items] == sorted([a, b])
    for i in items:
        assert set(i) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created",
                          "owner"}
        assert i["owner"] == "root"
        assert "ocirun" not in i
    assert run_ocirun("list", "-q", check=True).stdout == "".join(
        f"{x}\n" for x in sorted([a, b]))


def test_paused_status(run_ocirun, tmp_root, sleeper, unique_id):
    create(run_ocirun, sleeper, unique_id)
    run_ocirun("start", unique_id, check=True)
    pid = state_of(run_ocirun, unique_id)["pid"]
    freezer = None
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _h, ctrls, path = line.rstrip("\n").split(":", 2)
            if "freezer" in ctrls.split(",") and path != "/":
                freezer = Path(f"/sys/fs/cgroup/freezer{path}/freezer.state")
            elif ctrls == "" and path != "/" and freezer is None:
                base = ("/sys/fs/cgroup" if os.path.exists("/sys/fs/cgroup/cgroup.controllers")
                        else "/sys/fs/cgroup/unified")
                freezer = Path(f"{base}{path}/cgroup.freeze")
    if freezer is None or not freezer.exists():
        pytest.skip("the container has no freezer cgroup of its own here")
    frozen, thawed = ("FROZEN", "THAWED") if freezer.name == "freezer.state" else ("1", "0")
    freezer.write_text(frozen)
    try:
        assert wait_for(lambda: status_of(run_ocirun, unique_id) == "paused")
        lines, rows = parse_table(run_ocirun("list", check=True).stdout)
        assert rows[1][2] == "paused"
        r = run_ocirun("delete", unique_id)
        assert r.returncode == 1
        assert f"cannot delete container {unique_id} that is not stopped: paused" in r.stderr
        freezer.write_text(thawed)
        assert wait_for(lambda: status_of(run_ocirun, unique_id) == "running")
        # a frozen container is killed, thawed and deleted by --force
        freezer.write_text(frozen)
        assert wait_for(lambda: status_of(run_ocirun, unique_id) == "paused")
        run_ocirun("delete", "--force", unique_id, check=True, timeout=20)
        assert not pid_alive(pid)
        assert not (tmp_root / unique_id).exists()
    finally:
        if freezer.exists():
            freezer.write_text(thawed)


# ---- kill -----------------------------------------------------------------------

SIGNAL_SCRIPT = """
for s in HUP USR1 USR2 TERM 37; do trap "echo $s >> /tmp/signals" $s; done
echo ready > /tmp/ready
while true; do sleep 0.05; done
"""


@pytest.fixture
def trapper(bundle):
    bundle.set_writable()
    bundle.set_args(["/bin/sh", "-c", SIGNAL_SCRIPT])
    return bundle


def test_kill_signal_spellings(run_ocirun, tmp_root, trapper, unique_id):
    create(run_ocirun, trapper, unique_id)
    run_ocirun("start", unique_id, check=True)
    ready = trapper.rootfs / "tmp/ready"
    log = trapper.rootfs / "tmp/signals"
    assert wait_for(ready.exists)
    expected = []
    # no signal: SIGTERM; then names, SIG names, numbers, lower case, RTMIN+3
    for spelling, name in [(None, "TERM"), ("HUP", "HUP"), ("SIGUSR1", "USR1"),
                           (str(signal.SIGUSR2.value), "USR2"), ("sigterm", "TERM"),
                           ("RTMIN+3", "37")]:
        args = ["kill", unique_id] + ([spelling] if spelling else [])
        run_ocirun(*args, check=True)
        expected.append(name)
        assert wait_for(lambda: log.exists() and log.read_text().split() == expected), \
            (spelling, log.read_text() if log.exists() else None)
    r = run_ocirun("kill", unique_id, "FOO")
    assert r.returncode == 1 and 'unknown signal "FOO"' in errmsg(r)
    r = run_ocirun("kill", unique_id, "99")
    assert r.returncode == 1 and 'unknown signal "99"' in errmsg(r)
    assert status_of(run_ocirun, unique_id) == "running"
    run_ocirun("kill", unique_id, "9", check=True)
    assert wait_for(lambda: status_of(run_ocirun, unique_id) == "stopped")
    r = run_ocirun("kill", unique_id, "KILL")
    assert r.returncode == 1 and "container not running" in r.stderr


def container_pids(run_ocirun, cid):
    r = run_ocirun("ps", "--format", "json", cid, check=True)
    return json.loads(r.stdout) or []


def test_kill_all_and_ps(run_ocirun, tmp_root, bundle, unique_id):
    bundle.set_args(["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    create(run_ocirun, bundle, unique_id)
    init = state_of(run_ocirun, unique_id)["pid"]
    run_ocirun("start", unique_id, check=True)
    assert wait_for(lambda: len(container_pids(run_ocirun, unique_id)) == 3)
    pids = container_pids(run_ocirun, unique_id)
    assert init in pids

    r = run_ocirun("ps", unique_id, check=True)
    lines = r.stdout.splitlines()
    assert lines[0].split()[1] == "PID"  # ps -ef's header
    shown = sorted(int(line.split()[1]) for line in lines[1:])
    assert shown == sorted(pids)
    r = run_ocirun("ps", unique_id, "-o", "pid,comm", check=True)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert sorted(int(line.split()[0]) for line in lines[1:]) == sorted(pids)
    assert sorted(line.split()[1] for line in lines[1:]) == ["sh", "sleep", "sleep"]
    r = run_ocirun("ps", unique_id, "--", "-o", "pid", check=True)
    assert sorted(int(x) for x in r.stdout.split()[1:]) == sorted(pids)
    r = run_ocirun("ps", unique_id, "-o", "comm")
    assert r.returncode == 1 and "couldn't find PID field in ps output" in r.stderr

    children = [p for p in pids if p != init]
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: not any(pid_alive(p) for p in pids))
    assert wait_for(lambda: status_of(run_ocirun, unique_id) == "stopped")
    assert children and not any(pid_alive(p) for p in children)
    r = run_ocirun("ps", "-f", "json", unique_id, check=True)
    assert r.stdout == "null\n"
    r = run_ocirun("ps", "-f", "yaml", unique_id)
    assert r.returncode == 1 and "invalid format option" in r.stderr


# ---- delete -----------------------------------------------------------------------

def test_delete_created_without_force(run_ocirun, tmp_root, sleeper, unique_id):
    create(run_ocirun, sleeper, unique_id)
    pid = state_of(run_ocirun, unique_id)["pid"]
    run_ocirun("delete", unique_id, check=True)
    assert wait_for(lambda: not pid_alive(pid))
    assert not (tmp_root / unique_id).exists()
    assert run_ocirun("list", check=True).stdout == HEADER


def test_delete_running_needs_force(run_ocirun, tmp_root, sleeper, unique_id):
    create(run_ocirun, sleeper, unique_id)
    run_ocirun("start", unique_id, check=True)
    pid = state_of(run_ocirun, unique_id)["pid"]
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 1
    assert f"cannot delete container {unique_id} that is not stopped: running" in r.stderr
    assert pid_alive(pid) and status_of(run_ocirun, unique_id) == "running"
    run_ocirun("delete", "--force", unique_id, check=True)
    assert not pid_alive(pid)
    assert not (tmp_root / unique_id).exists()
    # idempotent
    assert run_ocirun("delete", "-f", unique_id).returncode == 0
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 1 and "container does not exist" in r.stderr


def test_delete_stopped(run_ocirun, tmp_root, bundle, unique_id):
    bundle.set_args(["/bin/true"])
    create(run_ocirun, bundle, unique_id)
    run_ocirun("start", unique_id, check=True)
    assert wait_for(lambda: status_of(run_ocirun, unique_id) == "stopped")
    run_ocirun("delete", unique_id, check=True)
    assert not (tmp_root / unique_id).exists()


def test_concurrent_deletes_of_one_id(run_ocirun, tmp_root, sleeper, unique_id, ocirun):
    create(run_ocirun, sleeper, unique_id)
    run_ocirun("start", unique_id, check=True)
    pid = state_of(run_ocirun, unique_id)["pid"]
    argv = [str(ocirun), "--root", str(tmp_root), "delete", "-f", unique_id]
    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [(p.wait(timeout=30), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert all(rc == 0 for rc, _ in results), results
    assert not pid_alive(pid)
    assert not (tmp_root / unique_id).exists()


# ---- many containers at once ---------------------------------------------------

@pytest.mark.slow
def test_200_containers_from_two_parallel_loops(run_ocirun, tmp_root, sleeper, test_prefix,
                                                 ocirun):
    ids = [f"{test_prefix}-{i:03d}" for i in range(200)]
    failures = []

    def loop(part, command):
        for cid in part:
            argv = [str(ocirun), "--root", str(tmp_root)] + command + [cid]
            # files, not pipes: the container's init keeps inherited pipes open
            with tempfile.TemporaryFile() as err:
                rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err, timeout=60,
                                    stdin=subprocess.DEVNULL).returncode
                if rc != 0:
                    err.seek(0)
                    failures.append((cid, err.read().decode(errors="replace")))

    def in_parallel(command):
        threads = [threading.Thread(target=loop, args=(ids[i::2], command)) for i in range(2)]
        for t in threads:
            t.start()
        # state and list while the others write must never see a torn file
        while any(t.is_alive() for t in threads):
            r = run_ocirun("list", "-f", "json")
            assert r.returncode == 0, r.stderr
            json.loads(r.stdout)
            assert "warning" not in r.stderr, r.stderr
        for t in threads:
            t.join()

    in_parallel(["create", "--bundle", str(sleeper.path)])
    assert not failures, failures[:3]
    items = json.loads(run_ocirun("list", "-f", "json", check=True).stdout)
    assert [i["id"] for i in items] == ids
    bad = [(i["id"], i["status"], i["pid"]) for i in items if i["status"] != "created" or i["pid"] <= 0]
    assert not bad, bad[:5]
    lines = run_ocirun("list", check=True).stdout.splitlines()
    assert len(lines) == 201
    inits = {i["pid"]: start_time(i["pid"]) for i in items}
    assert None not in inits.values()
    in_parallel(["delete"])
    assert not failures, failures[:3]
    assert run_ocirun("list", check=True).stdout == HEADER
    # gone (a pid may have been reused meanwhile: compare start times)
    left = [pid for pid, start in inits.items() if start_time(pid) == start]
    assert not left, [(p, open(f"/proc/{p}/cmdline").read(), open(f"/proc/{p}/status").read()[:300]) for p in left[:2]]


def test_commands_during_create(run_ocirun, spawn_ocirun, tmp_root, sleeper, unique_id):
    """While create holds the container's lock (here: in a slow prestart
    hook), `state`/`list` answer at once and `delete -f` waits for create to
    finish, then removes the container: nothing is left either way."""
    sleeper.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "1.5"]}]}
    sleeper.write()
    bg = spawn_ocirun("create", "--bundle", sleeper.path, unique_id)
    assert wait_for(lambda: (tmp_root / unique_id).exists())
    t0 = time.monotonic()
    r = run_ocirun("state", unique_id)
    assert r.returncode == 1 and "container does not exist" in r.stderr
    assert run_ocirun("list", "-q", check=True).stdout == ""
    assert time.monotonic() - t0 < 1.0  # readers never wait for the lock
    r = run_ocirun("delete", "-f", unique_id, timeout=30)
    assert r.returncode == 0, r.stderr
    done = bg.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert not (tmp_root / unique_id).exists()
    assert run_ocirun("list", "-q", check=True).stdout == ""
