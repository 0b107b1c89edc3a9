"""linux.seccomp through the real `ocirun run`: ERRNO (default EPERM and
errnoRet), KILL actions (exit 128+SIGSYS), argument filters, a default-deny
allow list, the filter mode seen from inside, a profile without
noNewPrivileges, and refused profiles leaving nothing behind.

The busybox shell in the test rootfs is the workload; tests/fixtures/seccomp/
default.json is a Docker/podman-like allow list (~340 syscalls).
"""

import copy
import json
import shutil
from pathlib import Path

import pytest
from ocitestlib.runner import json_from
from seccomp_util import NOBODY, RootlessSetup

pytestmark = pytest.mark.root

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "seccomp"
SIGSYS = 31


def allow_default(*rules):
    return {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(rules)}


def rule(names, action, errno_ret=None, args=None):
    r = {"names": list(names), "action": action}
    if errno_ret is not None:
        r["errnoRet"] = errno_ret
    if args is not None:
        r["args"] = args
    return r


def default_profile(without=()):
    """The fixture allow list, minus the names in `without`."""
    prof = json.loads((FIXTURES / "default.json").read_text())
    for r in prof["syscalls"]:
        r["names"] = [n for n in r["names"] if n not in without]
    return prof


@pytest.fixture
def sh(bundle, run_ocirun, make_id):
    """Runs `sh -c SCRIPT` in a writable container with the given profile."""
    bundle.set_writable()

    def run(script, profile, check=False, **config):
        bundle.config["process"]["args"] = ["/bin/sh", "-c", script]
        if profile is None:
            bundle.config["linux"].pop("seccomp", None)
        else:
            bundle.config["linux"]["seccomp"] = copy.deepcopy(profile)
        for key, value in config.items():
            bundle.config["process"][key] = value
        bundle.write()
        return run_ocirun("run", "--bundle", bundle.path, make_id(), check=check)

    return run


@pytest.fixture(autouse=True)
def seccomp_supported(bundle, run_ocirun, make_id):
    """Skips (saying why) while the binary refuses every profile: before the
    init loads filters, or when built with --disable-seccomp."""
    bundle.config["linux"]["seccomp"] = allow_default()
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, make_id())
    if r.returncode != 0 and ("linux.seccomp: not implemented yet" in r.stderr
                              or "built without libseccomp" in r.stderr):
        pytest.skip(f"ocirun does not apply linux.seccomp: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr


def test_errno_default_eperm(sh):
    script = "mkdir /tmp/blocked; echo mkdir=$?; echo data > /tmp/file && cat /tmp/file"
    r = sh(script, allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO")))
    assert "Operation not permitted" in r.stderr
    assert "mkdir=1" in r.stdout
    assert "data" in r.stdout  # everything else still works
    # the same script without the profile creates the directory
    r = sh(script, None)
    assert "mkdir=0" in r.stdout, r.stderr


def test_errno_ret_honoured(sh):
    r = sh("mkdir /tmp/blocked; echo mkdir=$?",
           allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=122)))
    assert "Disk quota exceeded" in r.stderr  # EDQUOT
    assert "mkdir=1" in r.stdout


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                    "SCMP_ACT_KILL_THREAD"])
def test_kill_exits_with_sigsys(sh, action):
    r = sh("exec mkdir /tmp/blocked", allow_default(rule(["mkdir", "mkdirat"], action)))
    assert r.returncode == 128 + SIGSYS, (r.returncode, r.stderr)


def test_argument_filter(sh):
    # kill(2) refused only when the signal (argument 1) is SIGUSR1
    prof = allow_default(rule(["kill"], "SCMP_ACT_ERRNO",
                              args=[{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]))
    r = sh("trap 'echo got-usr2' USR2; kill -USR2 $$; echo usr2=$?; "
           "kill -USR1 $$; echo usr1=$?", prof)
    assert "got-usr2" in r.stdout and "usr2=0" in r.stdout, r.stderr
    assert "usr1=1" in r.stdout
    assert "Operation not permitted" in r.stderr


def test_masked_eq_argument(sh):
    # opening with O_CREAT (0o100) in the flags is refused; reading still works
    creat = {"value": 0o100, "valueTwo": 0o100, "op": "SCMP_CMP_MASKED_EQ"}
    prof = allow_default(
        rule(["openat"], "SCMP_ACT_ERRNO", errno_ret=13, args=[{"index": 2, **creat}]),
        rule(["open"], "SCMP_ACT_ERRNO", errno_ret=13, args=[{"index": 1, **creat}]),
        rule(["creat"], "SCMP_ACT_ERRNO", errno_ret=13))
    r = sh("cat /etc/passwd; echo x > /tmp/new; echo create=$?", prof)
    assert "root:x:0:0" in r.stdout, r.stderr
    assert "create=1" in r.stdout
    assert "can't create /tmp/new: Permission denied" in r.stderr


def test_default_errno_allow_list(sh):
    prof = default_profile(without=("mkdir", "mkdirat"))
    r = sh("echo hello; ls / >/dev/null && echo ls-ok; mkdir /tmp/d; echo mkdir=$?", prof)
    assert "hello" in r.stdout and "ls-ok" in r.stdout, r.stderr
    assert "mkdir=1" in r.stdout
    assert "Operation not permitted" in r.stderr  # defaultErrnoRet 1, not ENOSYS


def test_filter_mode_visible_inside(bundle, run_in_container):
    bundle.config["linux"]["seccomp"] = default_profile()
    bundle.write()
    _, report = run_in_container("nnp", bundle=bundle)
    assert report["seccomp"] == 2
    assert report["seccomp_filters"] >= 1
    assert report["no_new_privs"] == 1


def test_no_filter_without_profile(bundle, run_in_container):
    bundle.config["linux"].pop("seccomp", None)
    bundle.write()
    _, report = run_in_container("nnp", bundle=bundle)
    assert report["seccomp"] == 0


def test_without_no_new_privileges(bundle, run_ocirun, unique_id):
    """runc loads the filter before dropping CAP_SYS_ADMIN when
    noNewPrivileges is false; the profile must still apply."""
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["linux"]["seccomp"] = default_profile()
    bundle.ocitest("nnp")
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    report = json_from(r.stdout)
    assert report["seccomp"] == 2 and report["no_new_privs"] == 0


@pytest.mark.parametrize("profile,message", [
    (allow_default(rule(["getpid"], "SCMP_ACT_ALLOW", errno_ret=5)),
     "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno"),
    ({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 3},
     "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno"),
    (allow_default(rule(["getpid"], "SCMP_ACT_ERRNO",
                        args=[{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}])),
     "linux.seccomp.syscalls[0].args[0].index: 7 is out of range"),
    (allow_default(rule(["getpid"], "SCMP_ACT_ERRNO", errno_ret=100000)),
     "linux.seccomp.syscalls[0].errnoRet: 100000 is out of range"),
    ({"defaultAction": "SCMP_ACT_NOTIFY"}, "SCMP_ACT_NOTIFY cannot be the default action"),
])
def test_bad_profile_refused(bundle, run_ocirun, tmp_root, unique_id, profile, message):
    bundle.config["linux"]["seccomp"] = profile
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert message in r.stderr
    assert not (tmp_root / unique_id).exists()


def test_unknown_architecture_refused(bundle, run_ocirun, tmp_root, unique_id):
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                         "architectures": ["SCMP_ARCH_PDP11"]}
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert "linux.seccomp.architectures" in r.stderr
    assert not (tmp_root / unique_id).exists()


# ---- the podman/Docker default profile (tests/fixtures/seccomp-default.json) ----

PODMAN_DEFAULT = Path(__file__).resolve().parent.parent / "fixtures" / "seccomp-default.json"


def test_podman_default_profile(sh):
    """The profile podman ships (converted to the OCI form by
    tests/fixtures/tools/gen-seccomp-default.py): a shell works; sethostname,
    refused by a rule with errnoRet 1 for podman's capability set, fails with
    EPERM even though the container has CAP_SYS_ADMIN here."""
    prof = json.loads(PODMAN_DEFAULT.read_text())
    assert prof["defaultErrnoRet"] == 38 and len(prof["syscalls"]) > 20
    r = sh("echo hello; ls / >/dev/null && echo ls-ok; hostname other; echo hostname=$?", prof,
           capabilities={k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")})
    assert "hello" in r.stdout and "ls-ok" in r.stdout, r.stderr
    assert "hostname=1" in r.stdout
    assert "Operation not permitted" in r.stderr
    # the same without the profile: CAP_SYS_ADMIN lets it through
    r = sh("hostname other; echo hostname=$?", None,
           capabilities={k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")})
    assert "hostname=0" in r.stdout, r.stderr


# ---- the compiled-BPF cache under the state root -------------------------------

CACHE_DIR = ".seccomp-cache@v1"


def new_cache_file(root, before):
    """The one cache entry that is not in `before`."""
    (f,) = [f for f in cache_files(root) if f not in before]
    return f


def cache_files(root):
    d = Path(root) / CACHE_DIR
    return sorted(d.glob("*.bpf")) if d.exists() else []


def debug_run(run_ocirun, bundle, cid, log):
    r = run_ocirun("--debug", "run", "--bundle", bundle.path, cid, log=log)
    return r, Path(log).read_text() if Path(log).exists() else ""


def test_cache_written_private_and_used(sh, bundle, run_ocirun, make_id, tmp_root, tmp_path):
    deny = allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=122))
    before = cache_files(tmp_root)
    r = sh("mkdir /tmp/x; echo mkdir=$?", deny)
    assert "mkdir=1" in r.stdout and "Disk quota exceeded" in r.stderr
    f = new_cache_file(tmp_root, before)
    assert (tmp_root / CACHE_DIR).stat().st_mode & 0o777 == 0o700
    assert f.stat().st_mode & 0o777 == 0o600
    size = f.stat().st_size
    assert (size - 96) % 8 == 0 and f.read_bytes()[:8] == b"OCIRUNBF"
    # the second run loads the cached program, which behaves the same
    r, log = debug_run(run_ocirun, bundle, make_id(), tmp_path / "log2")
    assert "taken from the cache" in log
    assert "mkdir=1" in r.stdout and "Disk quota exceeded" in r.stderr
    # another profile gets its own entry
    sh("true", allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=5)))
    assert len(cache_files(tmp_root)) == len(before) + 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "mode", "symlink"])
def test_cache_damage_is_a_miss(sh, bundle, run_ocirun, make_id, tmp_root, tmp_path, damage):
    """A corrupted, truncated, group-readable or symlinked entry is never
    loaded: the profile is compiled again and still enforced."""
    deny = allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=122))
    before = cache_files(tmp_root)
    sh("mkdir /tmp/x; echo mkdir=$?", deny)
    f = new_cache_file(tmp_root, before)
    good = f.read_bytes()
    if damage == "flip":
        # an instruction's return value: ERRNO(122) would become something else
        data = bytearray(good)
        data[len(data) - 40] ^= 0x01
        f.write_bytes(bytes(data))
    elif damage == "truncate":
        f.write_bytes(good[:-8])
    elif damage == "mode":
        f.chmod(0o644)
    else:
        other = tmp_path / "elsewhere.bpf"
        other.write_bytes(good)
        other.chmod(0o600)
        f.unlink()
        f.symlink_to(other)
    r, log = debug_run(run_ocirun, bundle, make_id(), tmp_path / "log")
    assert "taken from the cache" not in log
    assert "mkdir=1" in r.stdout and "Disk quota exceeded" in r.stderr, (r.stdout, r.stderr)
    if damage in ("flip", "truncate"):
        assert f.read_bytes() == good  # rewritten whole by the compile


def test_cache_dir_symlink_not_followed(sh, tmp_root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    shutil.rmtree(tmp_root / CACHE_DIR, ignore_errors=True)
    (tmp_root / CACHE_DIR).symlink_to(elsewhere)
    r = sh("mkdir /tmp/x; echo mkdir=$?",
           allow_default(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO")))
    assert "mkdir=1" in r.stdout
    assert list(elsewhere.iterdir()) == []


# ---- `features` says what really works ------------------------------------------

@pytest.fixture
def features(run_ocirun):
    return json.loads(run_ocirun("features", check=True).stdout)


def test_features_actions_accepted(features, sh):
    sec = features["linux"]["seccomp"]
    assert sec["enabled"] is True
    for action in sec["actions"]:
        if action == "SCMP_ACT_NOTIFY":
            continue  # needs an agent: test_seccomp_notify.py
        r = sh("echo ran", allow_default(rule(["mkdirat", "mkdir"], action)))
        if action == "SCMP_ACT_ALLOW":
            # same as the default: dropped, still a valid profile
            pass
        assert r.returncode == 0 and "ran" in r.stdout, (action, r.stderr)


def test_features_operators_and_flags_accepted(features, sh):
    sec = features["linux"]["seccomp"]
    for op in sec["operators"]:
        arg = {"index": 1, "value": 0o777, "op": op}
        if op == "SCMP_CMP_MASKED_EQ":
            arg["valueTwo"] = 0o700
        r = sh("echo ran", allow_default(rule(["mkdirat"], "SCMP_ACT_ERRNO", args=[arg])))
        assert r.returncode == 0 and "ran" in r.stdout, (op, r.stderr)
    for flag in sec["supportedFlags"]:
        prof = allow_default(rule(["mkdirat"], "SCMP_ACT_ERRNO"))
        prof["flags"] = [flag]
        r = sh("echo ran", prof)
        assert r.returncode == 0 and "ran" in r.stdout, (flag, r.stderr)
    for arch in ("SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"):
        assert arch in sec["archs"]
        prof = allow_default(rule(["mkdirat"], "SCMP_ACT_ERRNO"))
        prof["architectures"] = ["SCMP_ARCH_X86_64", arch]
        r = sh("echo ran", prof)
        assert r.returncode == 0 and "ran" in r.stdout, (arch, r.stderr)


def test_features_cgroup_block(features, run_ocirun):
    cg = features["linux"]["cgroup"]
    # the systemd driver is there only in builds with libsystemd (+SYSTEMD)
    sd = "+SYSTEMD" in run_ocirun("--version", check=True).stdout
    assert cg == {"v1": True, "v2": True, "systemd": sd, "systemdUser": sd, "rdma": True}


# ---- rootless: an unprivileged caller, its own uid mapped to 0 ----------------------

@pytest.fixture
def rootless(ocitest_bin, ocirun):
    setup = RootlessSetup(ocitest_bin, ocirun)
    yield setup
    setup.close()


def test_rootless_profile_and_cache(rootless, make_id):
    b, xdg, run = rootless.bundle, rootless.xdg, rootless.run
    b.config["linux"]["seccomp"] = allow_default(
        rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errno_ret=122))
    b.set_args(["/bin/sh", "-c", "mkdir /tmp/x; echo mkdir=$?"])
    r = run("run", "--bundle", str(b.path), make_id())
    assert r.returncode == 0, r.stderr
    assert "mkdir=1" in r.stdout and "Disk quota exceeded" in r.stderr
    cache = xdg / "ocirun" / CACHE_DIR
    st = cache.stat()
    assert st.st_uid == NOBODY and st.st_mode & 0o777 == 0o700
    (f,) = cache.glob("*.bpf")
    assert f.stat().st_uid == NOBODY and f.stat().st_mode & 0o777 == 0o600
    log = xdg / "debug.log"  # nobody's own directory
    r = run("--debug", "--log", str(log), "run", "--bundle", str(b.path), make_id())
    assert r.returncode == 0, r.stderr
    assert "mkdir=1" in r.stdout
    assert "taken from the cache" in log.read_text()
