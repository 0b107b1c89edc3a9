"""Shared fixtures for the ocirun integration tests (pytest >= 7.2).

Binaries
  ocirun        (session) path of the binary under test: $OCIRUN, else
                $OCIRUN_BUILDDIR/ocirun.  Fails clearly when neither is usable.
  ocitest_bin   (session) the static helper: $OCITEST, else
                $OCIRUN_BUILDDIR/tests/helper/ocitest.  `make check` sets all three.

Per test
  unique_id     a container id unique to the test, "t-XXXXXXXX" (the test's
                id prefix; the leak guard looks for cgroups named with it).
  make_id()     more ids with the same prefix: "t-XXXXXXXX-2", "-3", ...
  tmp_root      a fresh --root directory (0700).  Teardown: for every container
                left in it, `ocirun delete --force ID`, then SIGKILL the init pid
                recorded in its state.json if it is still alive (start time
                checked against pid reuse), wait, remove the directory.
  run_ocirun(*args, root=None, check=False, input=None, timeout=30, env=None,
             cwd=None, log=None, log_format=None) -> subprocess.CompletedProcess
                Runs `ocirun [--root R] [--log L] [--log-format F] ARGS...` in
                text mode.  root defaults to tmp_root.  env is merged into the
                current environment (a None value removes a variable).
                check=True raises OciRunError (an AssertionError showing the
                output) on a non-zero exit; a timeout kills ocirun and fails.
                stdout/stderr go through files, so `run -d`/`create` never hang
                the harness on an inherited pipe.
  spawn_ocirun(*args, **same) -> ocitestlib.runner.Background
                ocirun in the background (.pid, .wait(timeout), .stdout,
                .stderr, .running(), .kill()); killed at teardown if still running.
  bundle        a fresh bundle: .path, .rootfs, .config (dict), .config_path,
                .write(), .set_args([...]), .ocitest(*args), .set_env(k, v),
                .set_writable(), .add_mount(...), .remove_namespace(t).
                rootfs: /bin/busybox + applet links, /bin/ocitest, empty
                /proc /sys /dev /tmp /etc, /etc/passwd and /etc/group with root,
                tester (1000:1000) and nobody (65534).  config.json: what
                `runc spec` prints, with terminal=false and args=["/bin/true"]
                (root.readonly stays true, as in runc's spec).
  make_bundle(name=None, args=None) -> Bundle   more bundles in the test's dir.
  run_in_container(*ocitest_args, bundle=None, id=None, check=True, timeout=30)
                -> (CompletedProcess, parsed JSON or None): `ocirun run` of the
                bundle with /bin/ocitest ARGS as the process.
  require_root  skips the test (with the reason) unless euid 0.
  test_dir      the test's own temporary directory (pytest's tmp_path).

Leak guard (autouse): snapshots mounts, processes and cgroups before each
test and after all its fixtures are torn down; what leaked is cleaned up and
reported as an error of the test.  See ocitestlib/leaks.py for what counts.
OCIRUN_LEAK_GUARD=off|on|strict (default on; CI uses strict).

Markers (pytest.ini): slow, vm (skipped unless the host is pure cgroup v2,
i.e. inside tests/vm/run; `make check-vm`), systemd (skipped unless
systemd is PID 1 on a pure cgroup v2 host, i.e. inside tests/vm/run
--systemd; `make check-vm-systemd`; its rootless user is named by
$OCIRUN_VM_SD_USER there), rootless (run as non-root too), root (skipped
unless euid 0).  Tests that use tmp_root,
run_ocirun's default root, bundle-running fixtures or require_root skip when
not root, unless marked rootless.  OCIRUN_TEST_TIMEOUT (default 300 s, x3 for
slow tests) bounds each test.

Helpers: ocitestlib.runner.json_from(text) parses the last JSON object line.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from ocitestlib import leaks, procs, runner  # noqa: E402
from ocitestlib.bundle import Bundle  # noqa: E402
from ocitestlib.runner import OciRunError, json_from  # noqa: E402,F401


def _env_path(var):
    value = os.environ.get(var)
    return Path(value).resolve() if value else None


def _find_binary(env_var, rel):
    explicit = _env_path(env_var)
    if explicit is not None:
        return explicit
    builddir = _env_path("OCIRUN_BUILDDIR")
    return builddir / rel if builddir is not None else None


def _is_executable(path):
    return path is not None and path.is_file() and os.access(path, os.X_OK)


def _leak_mode():
    return os.environ.get("OCIRUN_LEAK_GUARD", "on").lower()


def _pure_v2():
    """A unified-only host: cgroup2 mounted at /sys/fs/cgroup itself."""
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _systemd_pid1():
    """systemd is PID 1 (sd_booted()'s test, plus PID 1's name)."""
    try:
        comm = Path("/proc/1/comm").read_text().strip()
    except OSError:
        return False
    return comm == "systemd" and os.path.isdir("/run/systemd/system")


def _skip_unless_root(request, what):
    if os.geteuid() != 0 and request.node.get_closest_marker("rootless") is None:
        pytest.skip(f"{what} needs root (euid is {os.geteuid()}); "
                    "run as root or mark the test rootless")


# ---- hooks ------------------------------------------------------------------

def pytest_configure(config):
    for line in ("slow: long-running test",
                 "vm: needs a pure cgroup v2 host: runs inside tests/vm/run (make check-vm)",
                 "systemd: needs systemd as PID 1 on pure cgroup v2: runs inside "
                 "tests/vm/run --systemd (make check-vm-systemd)",
                 "rootless: runs ocirun as an unprivileged user",
                 "root: needs euid 0"):
        config.addinivalue_line("markers", line)


def pytest_report_header(config):
    binary = _find_binary("OCIRUN", "ocirun")
    version = "not found"
    if _is_executable(binary):
        try:
            out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                                 timeout=10)
            version = (out.stdout.splitlines() or ["(no output)"])[0]
        except (OSError, subprocess.SubprocessError) as e:
            version = f"error: {e}"
    cgroup = ("v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else
              "hybrid" if os.path.isdir("/sys/fs/cgroup/unified") else "v1")
    return [f"ocirun: {binary} ({version})",
            f"ocitest: {_find_binary('OCITEST', 'tests/helper/ocitest')}",
            f"kernel {os.uname().release}, cgroups {cgroup}, euid {os.geteuid()}, "
            f"leak guard {_leak_mode()}"]


def pytest_runtest_setup(item):
    if item.get_closest_marker("root") is not None and os.geteuid() != 0:
        pytest.skip(f"needs root (euid is {os.geteuid()})")
    if item.get_closest_marker("vm") is not None and not _pure_v2():
        pytest.skip("needs a pure cgroup v2 host (no /sys/fs/cgroup/cgroup.controllers "
                    "here): run it in the VM with `make check-vm`")
    if item.get_closest_marker("systemd") is not None and not (_pure_v2() and _systemd_pid1()):
        pytest.skip("needs systemd as PID 1 on a pure cgroup v2 host: run it in the "
                    "systemd VM with `make check-vm-systemd`")


class _TestTimeout(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """A per-test alarm: a hung runtime must fail the test, not the CI job."""
    limit = int(os.environ.get("OCIRUN_TEST_TIMEOUT", "300"))
    if item.get_closest_marker("slow") is not None:
        limit *= 3

    def on_alarm(signum, frame):
        raise _TestTimeout(f"test exceeded {limit}s (OCIRUN_TEST_TIMEOUT)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ---- binaries -----------------------------------------------------------------

@pytest.fixture(scope="session")
def ocirun():
    path = _find_binary("OCIRUN", "ocirun")
    if path is None:
        pytest.fail("ocirun binary unknown: set OCIRUN=/path/to/ocirun or "
                    "OCIRUN_BUILDDIR=<build dir> (make check-integration does)", pytrace=False)
    if not _is_executable(path):
        pytest.fail(f"ocirun binary {path} does not exist or is not executable "
                    "(build it first: make)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def ocitest_bin():
    path = _find_binary("OCITEST", "tests/helper/ocitest")
    if path is None:
        pytest.fail("ocitest helper unknown: set OCITEST=/path/to/ocitest or "
                    "OCIRUN_BUILDDIR=<build dir>", pytrace=False)
    if not _is_executable(path):
        pytest.fail(f"ocitest helper {path} does not exist or is not executable "
                    "(build it: make tests/helper/ocitest)", pytrace=False)
    return path


# ---- ids and directories ---------------------------------------------------

@pytest.fixture
def test_prefix():
    return "t-" + secrets.token_hex(4)


@pytest.fixture
def unique_id(test_prefix):
    return test_prefix


@pytest.fixture
def make_id(test_prefix):
    counter = [1]

    def make():
        counter[0] += 1
        return f"{test_prefix}-{counter[0]}"

    return make


@pytest.fixture
def test_dir(tmp_path):
    return tmp_path


# ---- leak guard -------------------------------------------------------------

def _leak_scope(tmp_path, test_prefix):
    binary = _find_binary("OCIRUN", "ocirun")
    return leaks.Scope(test_dirs=[str(tmp_path.resolve())], id_prefix=test_prefix,
                       ocirun_path=str(binary) if binary else None,
                       strict=_leak_mode() == "strict")


def _settled_leaks(before, scope, tries=5):
    """Diffs, giving exiting processes a moment before calling them leaks."""
    found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
    for _ in range(tries):
        if not found:
            break
        procs.wait_gone(list(found.pids), 0.2)
        found = leaks.find_leaks(before, leaks.snapshot(scope), scope)
    return found


@pytest.fixture(autouse=True)
def leak_guard(tmp_path, test_prefix):
    if _leak_mode() == "off":
        yield None
        return
    scope = _leak_scope(tmp_path, test_prefix)
    before = leaks.snapshot(scope)
    yield scope
    found = _settled_leaks(before, scope)
    if found:
        remaining = leaks.cleanup(found, scope)
        if remaining:
            msg = ("the test leaked:\n" + found.describe() + "\nnot cleaned up:\n  "
                   + "\n  ".join(remaining))
        else:
            msg = "the test leaked (now cleaned up):\n" + found.describe()
        pytest.fail(msg, pytrace=False)


# ---- --root and running ocirun ------------------------------------------------

def _state_init(state_dir):
    """(pid, start time or None) recorded in a state dir, or (None, None)."""
    try:
        with open(os.path.join(state_dir, "state.json")) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None, None
    if not isinstance(state, dict):
        return None, None
    # "init_process_pid" is runc's name, so the teardown also works when
    # OCIRUN points at runc to check a test against the reference runtime
    pid = state.get("pid", state.get("init_process_pid"))
    if not isinstance(pid, int) or pid <= 0:
        return None, None
    private = state.get("ocirun") or {}
    start = private.get("initStartTime") if isinstance(private, dict) else None
    return pid, start if isinstance(start, int) else None


def _thaw_pid(pid, test_prefix):
    """A paused container ignores SIGKILL until thawed; thaw only cgroups
    that belong to this test."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    for line in lines:
        _hier, ctrls, path = line.split(":", 2)
        if test_prefix not in path:
            continue
        if "freezer" in ctrls.split(","):
            target = f"/sys/fs/cgroup/freezer{path}/freezer.state"
            value = "THAWED"
        elif ctrls == "":
            base = ("/sys/fs/cgroup" if os.path.exists("/sys/fs/cgroup/cgroup.controllers")
                    else "/sys/fs/cgroup/unified")
            target, value = f"{base}{path}/cgroup.freeze", "0"
        else:
            continue
        if leaks.is_protected(target):
            continue
        try:
            with open(target, "w") as f:
                f.write(value)
        except OSError:
            pass


def _teardown_root(root, ocirun_path, test_prefix):
    if not root.is_dir():
        return
    for entry in sorted(os.listdir(root)):
        state_dir = root / entry
        if not state_dir.is_dir():
            continue
        pid, start = _state_init(state_dir)
        if ocirun_path is not None:
            try:
                runner.run(ocirun_path, ["delete", "--force", entry], root=root, timeout=15)
            except (AssertionError, OSError):
                pass
        if pid is not None and procs.alive(pid, start):
            _thaw_pid(pid, test_prefix)
            procs.kill_pids([pid])
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=False)


@pytest.fixture
def tmp_root(request, tmp_path, test_prefix):
    _skip_unless_root(request, "creating containers")
    root = tmp_path / "root"
    root.mkdir(mode=0o700)
    os.chmod(root, 0o700)
    yield root
    binary = _find_binary("OCIRUN", "ocirun")
    _teardown_root(root, binary if _is_executable(binary) else None, test_prefix)


@pytest.fixture
def run_ocirun(request, ocirun):
    def run(*args, root=None, check=False, input=None, timeout=30, env=None, cwd=None,
            log=None, log_format=None):
        if root is None:
            root = request.getfixturevalue("tmp_root")
        return runner.run(ocirun, args, root=root, check=check, input=input, timeout=timeout,
                          env=env, cwd=cwd, log=log, log_format=log_format)

    return run


@pytest.fixture
def spawn_ocirun(request, ocirun, tmp_path):
    started = []

    def spawn(*args, root=None, env=None, cwd=None, log=None, log_format=None, stdin=None):
        if root is None:
            root = request.getfixturevalue("tmp_root")
        bg = runner.Background(ocirun, args, str(tmp_path), f"bg{len(started)}", root=root,
                               env=env, cwd=cwd, log=log, log_format=log_format, stdin=stdin)
        started.append(bg)
        return bg

    yield spawn
    for bg in started:
        bg.kill()


# ---- bundles ---------------------------------------------------------------

@pytest.fixture
def make_bundle(tmp_path, ocitest_bin):
    made = []

    def make(name=None, args=None):
        name = name or ("bundle" if not made else f"bundle{len(made) + 1}")
        b = Bundle(tmp_path / name, ocitest_bin)
        if args is not None:
            b.set_args(args)
        made.append(b)
        return b

    return make


@pytest.fixture
def bundle(make_bundle):
    return make_bundle()


@pytest.fixture
def run_in_container(request, run_ocirun, unique_id):
    def run(*ocitest_args, bundle=None, id=None, check=True, timeout=30):
        b = bundle if bundle is not None else request.getfixturevalue("bundle")
        b.ocitest(*ocitest_args)
        result = run_ocirun("run", "--bundle", b.path, id or unique_id, check=check,
                            timeout=timeout)
        return result, json_from(result.stdout)

    return run


@pytest.fixture
def require_root(request):
    if os.geteuid() != 0:
        pytest.skip(f"needs root (euid is {os.geteuid()})")
