"""checkpoint and restore through CRIU (src/lib/criu*.c, docs/checkpoint.md).

The tests that need criu to work run twice: `[host]` on the development
host (hybrid cgroups) and `[vm]` inside the pure cgroup v2 VM.  When
`criu check` fails (criu missing, or e.g. criu 3.17 on a kernel >= 6.13,
whose split vvar mapping it does not know) they skip with the line criu
prints.  The error paths need no working criu and run on the host only.
"""

import json
import os
import shutil
import subprocess
import time
from functools import lru_cache

import pytest

PLACES = [pytest.param("host", id="host"),
          pytest.param("vm", id="vm", marks=pytest.mark.vm)]

# a counter: one more every 50 ms in /data/count, stdio detached from ours.
# (criu refuses a session leader outside the container's pid namespace:
# ocirun's init calls setsid(), as runc's does, so none is needed here.)
COUNTER = ["/bin/sh", "-c",
           "exec </dev/null >/dev/null 2>&1; i=0; "
           "while :; do i=$((i+1)); echo $i > /data/count; sleep 0.05; done"]


@lru_cache(maxsize=None)
def _criu_problem():
    """None when `criu check` passes, else what it says (first error line)."""
    criu = shutil.which("criu")
    if criu is None:
        return "criu is not installed"
    try:
        r = subprocess.run([criu, "check"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "`criu check` timed out"
    if r.returncode == 0:
        return None
    lines = [ln for ln in (r.stderr + r.stdout).splitlines() if "Error" in ln]
    return f"`criu check` fails: {lines[0] if lines else r.stderr.strip()[-200:]}"


@pytest.fixture
def need_criu(require_root):
    problem = _criu_problem()
    if problem:
        pytest.skip(problem)


def _counter_bundle(make_bundle, test_dir):
    data = test_dir / "data"
    data.mkdir()
    b = make_bundle(args=COUNTER)
    b.add_mount("/data", source=data, options=["rbind", "rw"])
    return b, data / "count"


def _count(path):
    try:
        return int(path.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _wait_count(path, above, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = _count(path)
        if n > above:
            return n
        time.sleep(0.05)
    raise AssertionError(f"the counter in {path} stayed at {_count(path)} (waited for > {above})")


def _state(run_ocirun, cid):
    r = run_ocirun("state", cid)
    return json.loads(r.stdout) if r.returncode == 0 else None


def _one_line_error(r):
    assert r.returncode != 0, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.mark.parametrize("place", PLACES)
def test_checkpoint_then_restore_continues_the_counter(place, need_criu, run_ocirun, make_bundle,
                                                       test_dir, unique_id):
    b, count = _counter_bundle(make_bundle, test_dir)
    image, work = test_dir / "image", test_dir / "work"
    run_ocirun("run", "-d", "--bundle", b.path, unique_id, check=True)
    before = _wait_count(count, 10)

    run_ocirun("checkpoint", "--image-path", image, "--work-path", work, unique_id,
               check=True, timeout=120)
    # runc's behaviour: the checkpointed container is gone
    assert _state(run_ocirun, unique_id) is None
    frozen = _count(count)
    assert frozen >= before
    time.sleep(0.5)
    assert _count(count) == frozen, "the counter still runs after the checkpoint"
    assert (image / "inventory.img").exists()
    fds = json.loads((image / "descriptors.json").read_text())
    assert isinstance(fds, list) and len(fds) == 3 and all(isinstance(f, str) for f in fds)
    assert (work / "dump.log").exists()

    pidfile = test_dir / "restored.pid"
    run_ocirun("restore", "-d", "--image-path", image, "--work-path", work, "--bundle", b.path,
               "--pid-file", pidfile, unique_id, check=True, timeout=120)
    st = _state(run_ocirun, unique_id)
    assert st is not None and st["status"] == "running", st
    assert int(pidfile.read_text()) == st["pid"]
    os.kill(st["pid"], 0)
    r = run_ocirun("exec", unique_id, "/bin/cat", "/data/count", check=True)
    assert int(r.stdout) >= frozen
    # it continues from where it stopped: a restart from zero would write
    # 1, 2, 3... every 50 ms, so no read may go below the frozen value
    # while the counter climbs past it
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        text = count.read_text().strip()   # empty between truncate and write
        assert not text or int(text) >= frozen, (frozen, text)
        time.sleep(0.01)
    _wait_count(count, frozen + 5)

    run_ocirun("kill", unique_id, "KILL", check=True)
    end = time.monotonic() + 10
    while _state(run_ocirun, unique_id)["status"] != "stopped" and time.monotonic() < end:
        time.sleep(0.05)
    run_ocirun("delete", unique_id, check=True)
    assert _state(run_ocirun, unique_id) is None


@pytest.mark.parametrize("place", PLACES)
def test_checkpoint_leave_running(place, need_criu, run_ocirun, make_bundle, test_dir, unique_id):
    b, count = _counter_bundle(make_bundle, test_dir)
    image = test_dir / "image"
    run_ocirun("run", "-d", "--bundle", b.path, unique_id, check=True)
    _wait_count(count, 3)
    run_ocirun("checkpoint", "--leave-running", "--image-path", image, unique_id, check=True,
               timeout=120)
    assert (image / "inventory.img").exists()
    assert (image / "dump.log").exists()  # the work path defaults to the image path
    st = _state(run_ocirun, unique_id)
    assert st["status"] == "running", st
    n = _count(count)
    _wait_count(count, n + 3)
    run_ocirun("delete", "--force", unique_id, check=True)


@pytest.mark.parametrize("place", PLACES)
def test_restore_foreground_returns_the_exit_code(place, need_criu, run_ocirun, spawn_ocirun,
                                                  make_bundle, test_dir, unique_id):
    b, count = _counter_bundle(make_bundle, test_dir)
    image = test_dir / "image"
    run_ocirun("run", "-d", "--bundle", b.path, unique_id, check=True)
    _wait_count(count, 3)
    run_ocirun("checkpoint", "--image-path", image, unique_id, check=True, timeout=120)
    frozen = _count(count)
    bg = spawn_ocirun("restore", "--image-path", image, "--bundle", b.path, unique_id)
    _wait_count(count, frozen + 3)
    st = _state(run_ocirun, unique_id)
    assert st["status"] == "running", st
    # (the shell is pid 1 of its namespace: it has no SIGTERM handler)
    run_ocirun("kill", unique_id, "KILL", check=True)
    r = bg.wait(timeout=30)
    assert r.returncode == 128 + 9, (r.returncode, r.stderr)
    # like run: the container is deleted once its init is gone
    assert _state(run_ocirun, unique_id) is None


@pytest.mark.parametrize("place", PLACES)
def test_pre_dump_then_dump_with_parent(place, need_criu, run_ocirun, make_bundle, test_dir,
                                        unique_id):
    b, count = _counter_bundle(make_bundle, test_dir)
    run_ocirun("run", "-d", "--bundle", b.path, unique_id, check=True)
    _wait_count(count, 3)
    run_ocirun("checkpoint", "--pre-dump", "--image-path", test_dir / "pre", unique_id,
               check=True, timeout=120)
    assert (test_dir / "pre" / "pre-dump.log").exists()
    assert _state(run_ocirun, unique_id)["status"] == "running"
    n = _count(count)
    _wait_count(count, n + 2)
    run_ocirun("checkpoint", "--parent-path", "../pre", "--image-path", test_dir / "final",
               unique_id, check=True, timeout=120)
    assert _state(run_ocirun, unique_id) is None
    frozen = _count(count)
    run_ocirun("restore", "-d", "--image-path", test_dir / "final", "--bundle", b.path,
               unique_id, check=True, timeout=120)
    assert frozen < _wait_count(count, frozen) < frozen + 20
    run_ocirun("delete", "--force", unique_id, check=True)


@pytest.mark.parametrize("place", PLACES)
def test_failed_criu_restore_leaves_nothing(place, need_criu, run_ocirun, make_bundle, test_dir,
                                            tmp_root, unique_id):
    b, count = _counter_bundle(make_bundle, test_dir)
    image = test_dir / "image"
    run_ocirun("run", "-d", "--bundle", b.path, unique_id, check=True)
    _wait_count(count, 3)
    run_ocirun("checkpoint", "--image-path", image, unique_id, check=True, timeout=120)
    # the bind mount's source is gone: criu cannot put /data back
    (test_dir / "data").rename(test_dir / "data.moved")
    line = _one_line_error(run_ocirun("restore", "-d", "--image-path", image, "--bundle", b.path,
                                      unique_id, timeout=120))
    assert "criu restore failed: Error (" in line and "restore.log" in line, line
    assert _state(run_ocirun, unique_id) is None
    assert [e for e in os.listdir(tmp_root) if e != "seccomp-cache"] == []
    n = _count(test_dir / "data.moved" / "count")
    time.sleep(0.3)
    assert _count(test_dir / "data.moved" / "count") == n, "a restored counter still runs"


# ---- errors: one clear line, nothing left behind (no criu needed) ---------

def test_checkpoint_missing_container(run_ocirun, test_dir):
    line = _one_line_error(run_ocirun("checkpoint", "--image-path", test_dir / "i", "nosuch"))
    assert "container does not exist" in line


def test_checkpoint_created_container_is_refused(run_ocirun, bundle, test_dir, unique_id):
    bundle.set_args(["/bin/sleep", "100"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    line = _one_line_error(run_ocirun("checkpoint", "--image-path", test_dir / "img", unique_id))
    assert f"container {unique_id} is not running" in line
    assert not (test_dir / "img").exists()
    assert _state(run_ocirun, unique_id)["status"] == "created"
    run_ocirun("delete", "--force", unique_id, check=True)


def test_restore_bad_image_path_leaves_nothing(run_ocirun, bundle, test_dir, tmp_root, unique_id):
    missing = test_dir / "missing"
    line = _one_line_error(run_ocirun("restore", "--image-path", missing, "--bundle", bundle.path,
                                      unique_id))
    assert f"image path `{missing}`" in line and "No such file or directory" in line
    empty = test_dir / "empty"
    empty.mkdir()
    line = _one_line_error(run_ocirun("restore", "--image-path", empty, "--bundle", bundle.path,
                                      unique_id))
    assert "holds no checkpoint" in line
    assert os.listdir(tmp_root) == [] or os.listdir(tmp_root) == ["seccomp-cache"]
    assert _state(run_ocirun, unique_id) is None


@pytest.mark.parametrize("flags,wanted", [
    (["--lazy-pages"], "--lazy-pages is not supported"),
    (["--page-server", "127.0.0.1:9"], "--page-server is not supported"),
    (["--status-fd", "3"], "--status-fd is only used with --lazy-pages"),
    (["--manage-cgroups-mode", "bogus"], "invalid --manage-cgroups-mode `bogus`"),
    (["--empty-ns", "pid"], "--empty-ns `pid`: only `network`"),
])
def test_checkpoint_refuses_unsupported_flags(flags, wanted, run_ocirun, bundle, test_dir,
                                              unique_id):
    bundle.set_args(["/bin/sleep", "100"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    line = _one_line_error(run_ocirun("checkpoint", *flags, "--image-path", test_dir / "img",
                                      unique_id))
    assert wanted in line
    assert not (test_dir / "img").exists()
    assert _state(run_ocirun, unique_id)["status"] == "running"
    run_ocirun("delete", "--force", unique_id, check=True)


@pytest.mark.parametrize("flags,wanted", [
    (["--lazy-pages"], "--lazy-pages is not supported"),
    (["--console-socket", "/nonexistent.sock"], "restoring a container with a terminal"),
    (["--lsm-profile", "x"], "--lsm-profile is not supported"),
])
def test_restore_refuses_unsupported_flags(flags, wanted, run_ocirun, bundle, test_dir,
                                           tmp_root, unique_id):
    line = _one_line_error(run_ocirun("restore", *flags, "--image-path", test_dir,
                                      "--bundle", bundle.path, unique_id))
    assert wanted in line
    assert _state(run_ocirun, unique_id) is None


@pytest.mark.parametrize("place", PLACES)
def test_restore_hands_new_stdio_pipes_to_the_process(place, need_criu, ocirun, tmp_root,
                                                      run_ocirun, make_bundle, test_dir,
                                                      unique_id):
    """podman's way: the init's stdio are pipes; descriptors.json records
    them and restore gives the process the restoring caller's pipes."""
    b, count = _counter_bundle(make_bundle, test_dir)
    b.set_args(["/bin/sh", "-c",
                "i=0; while :; do i=$((i+1)); echo $i > /data/count; echo $i; "
                "sleep 0.05; done"])
    image = test_dir / "image"
    stderr_ends = []

    def detached(*args):
        """ocirun ARGS with stdio pipes (criu cannot dump a host file the
        container's mounts do not show); returns our ends of in and out."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        os.set_blocking(err_r, False)
        r = subprocess.run([str(ocirun), "--root", str(tmp_root), *map(str, args)],
                           stdin=in_r, stdout=out_w, stderr=err_w, timeout=120)
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        try:
            err = os.read(err_r, 65536).decode(errors="replace")
        except BlockingIOError:
            err = ""
        stderr_ends.append(err_r)
        assert r.returncode == 0, err
        return os.fdopen(in_w, "wb"), os.fdopen(out_r, "rb")

    try:
        _pipes_round_trip(detached, run_ocirun, count, image, b, unique_id)
    finally:
        for fd in stderr_ends:
            os.close(fd)


def _pipes_round_trip(detached, run_ocirun, count, image, b, unique_id):
    stdin1, stdout1 = detached("run", "-d", "--bundle", b.path, unique_id)
    with stdin1, stdout1:
        assert int(stdout1.readline()) >= 1
        _wait_count(count, 3)
        run_ocirun("checkpoint", "--image-path", image, unique_id, check=True, timeout=120)
        fds = json.loads((image / "descriptors.json").read_text())
        assert fds[0].startswith("pipe:[") and fds[1].startswith("pipe:["), fds
        # the old stdout's writer is gone with the process
        stdout1.read()
    frozen = _count(count)
    stdin2, stdout2 = detached("restore", "-d", "--image-path", image, "--bundle", b.path,
                               unique_id)
    with stdin2, stdout2:
        first = int(stdout2.readline())
        assert frozen < first < frozen + 20, (frozen, first)
        assert int(stdout2.readline()) == first + 1
        run_ocirun("delete", "--force", unique_id, check=True)
