# SPDX-License-Identifier: GPL-2.0-or-later
"""The command-line frame: global options, dispatch, help, logging, spec,
features. Where ocirun mirrors runc, the runc behaviour is quoted."""

import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

COMMANDS = ["create", "start", "run", "exec", "kill", "delete", "state",
            "list", "ps", "pause", "resume", "update", "events", "spec",
            "features", "checkpoint", "restore"]
# commands that fail the same way on an empty --root, for the log tests
# (they used the then unimplemented checkpoint/restore)
FAILING = ["checkpoint", "start"]
FAIL_MSG = "container does not exist"
TEXT_LINE = re.compile(r'^time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)" '
                       r'level=(\w+) msg="(.*)"$')
RFC3339_NANO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$')


def run(binary, *args, timeout=20, **kw):
    return subprocess.run([binary, *args], capture_output=True, timeout=timeout, **kw)


def out(cp):
    return cp.stdout.decode(errors="replace")


def err(cp):
    return cp.stderr.decode(errors="replace")


# ---- version and help -------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-v", "-version"])
def test_version_shape(ocirun, flag):
    cp = run(ocirun, flag)
    assert cp.returncode == 0, err(cp)
    lines = out(cp).splitlines()
    # podman and containerd parse the first line
    assert re.fullmatch(r"ocirun version \d+\.\d+\.\d+", lines[0]), lines
    assert re.fullmatch(r"commit: \S+", lines[1]), lines
    assert lines[2] == "spec: 1.3.0"
    tags = lines[-1].split()
    assert tags and all(t.startswith("+") for t in tags), lines
    assert "+YAJL" in tags
    # only the features the build has: libseccomp's line comes with +SECCOMP
    has_seccomp_line = any(re.fullmatch(r"libseccomp: \d+\.\d+\.\d+", l) for l in lines)
    assert has_seccomp_line == ("+SECCOMP" in tags)
    # +FAULT: built with --enable-fault-injection (tests only; docs/reliability.md)
    assert set(tags) <= {"+SECCOMP", "+CAP", "+SYSTEMD", "+YAJL", "+FAULT"}


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"], ["h"]])
def test_global_help_lists_commands(ocirun, args):
    cp = run(ocirun, *args)
    assert cp.returncode == 0, err(cp)
    text = out(cp)
    assert "USAGE:" in text and "GLOBAL OPTIONS:" in text
    for c in COMMANDS:
        assert re.search(r"^   %s\b" % c, text, re.M), c
    for flag in ["--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--rootless"]:
        assert flag in text


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("how", ["--help", "-h", "-help", "help"])
def test_command_help(ocirun, command, how, tmp_path):
    args = ["help", command] if how == "help" else [command, how]
    # --help must work with any --root, even one that cannot be created
    cp = run(ocirun, "--root", str(tmp_path / "no" / "such"), *args)
    assert cp.returncode == 0, err(cp)
    text = out(cp)
    assert text.startswith("NAME:\n   ocirun %s - " % command)
    assert "USAGE:\n   ocirun %s " % command in text
    assert "--help, -h" in text
    assert cp.stderr == b""
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("command,flags", [
    ("spec", ["--bundle DIR, -b DIR", "--rootless"]),
    ("exec", ["--tty, -t", "--process FILE, -p FILE", "--cwd DIR", "--env VAR, -e VAR"]),
    ("update", ["--resources FILE, -r FILE", "--memory N", "--pids-limit N"]),
    ("restore", ["--bundle DIR, -b DIR", "--image-path DIR"]),
])
def test_command_help_lists_flags(ocirun, command, flags):
    text = out(run(ocirun, command, "--help"))
    for f in flags:
        assert f in text, (f, text)


# ---- errors: wording and exit codes, as runc -------------------------------

def test_unknown_command(ocirun):
    # runc: `time="..." level=error msg="No help topic for 'foo'\n"`, exit 3
    cp = run(ocirun, "foo")
    assert cp.returncode == 3
    assert "No help topic for 'foo'" in err(cp)
    assert cp.stdout == b""
    cp = run(ocirun, "help", "foo")
    assert cp.returncode == 3
    assert "No help topic for 'foo'" in err(cp)


@pytest.mark.parametrize("spelling", ["--bogus", "-bogus", "--bogus=1"])
def test_unknown_global_flag(ocirun, spelling):
    cp = run(ocirun, spelling, "list")
    assert cp.returncode == 1
    assert "flag provided but not defined: -bogus" in err(cp)


@pytest.mark.parametrize("spelling", ["--bogus", "-bogus"])
def test_unknown_command_flag(ocirun, spelling, tmp_path):
    cp = run(ocirun, "--root", str(tmp_path), "checkpoint", spelling, "x")
    assert cp.returncode == 1
    assert "flag provided but not defined: -bogus" in err(cp)


def test_global_flag_after_command_refused(ocirun, tmp_path):
    # runc: `runc list -root /x` -> "flag provided but not defined: -root"
    cp = run(ocirun, "checkpoint", "--root", str(tmp_path), "x")
    assert cp.returncode == 1
    assert "flag provided but not defined: -root" in err(cp)


def test_short_flags_are_not_combined(ocirun, tmp_path):
    # Go's flag package: `-td` is one flag named "td"
    cp = run(ocirun, "--root", str(tmp_path), "exec", "-td", "x")
    assert cp.returncode == 1
    assert "flag provided but not defined: -td" in err(cp)


def test_missing_flag_value(ocirun):
    cp = run(ocirun, "--root")
    assert cp.returncode == 1
    assert "flag needs an argument: -root" in err(cp)


def test_bad_boolean_value(ocirun, tmp_path):
    # runc: invalid boolean value "yes" for -q: parse error
    cp = run(ocirun, "--root", str(tmp_path), "exec", "--tty=yes", "x")
    assert cp.returncode == 1
    assert 'invalid boolean value \\"yes\\" for -tty: parse error' in err(cp)


@pytest.mark.parametrize("args,message", [
    (["--log-format", "xml"], "invalid log-format: xml"),
    (["--log-level", "loud"], "invalid log-level: loud"),
    (["--cgroup-manager", "x"], "invalid --cgroup-manager `x`"),
    (["--rootless", "maybe"], "invalid --rootless value `maybe`"),
])
def test_bad_global_values(ocirun, args, message, tmp_path):
    cp = run(ocirun, "--root", str(tmp_path), *args, "checkpoint", "x")
    assert cp.returncode == 1
    assert message in err(cp)


def test_valid_global_values_accepted(ocirun, tmp_path):
    cp = run(ocirun, "--root", str(tmp_path), "--systemd-cgroup", "--cgroup-manager=disabled",
             "--rootless=auto", "--criu", "/usr/sbin/criu", "--log-level=info", "checkpoint",
             "x")
    assert cp.returncode == 1
    assert FAIL_MSG in err(cp)


def test_wrong_argument_count(ocirun, tmp_path):
    # runc: `runc: "spec" requires exactly 0 argument(s)`
    cp = run(ocirun, "spec", "extra", cwd=tmp_path)
    assert cp.returncode == 1
    assert 'ocirun: \\"spec\\" requires exactly 0 argument(s)' in err(cp)
    assert not (tmp_path / "config.json").exists()


# ---- a failing command and the log ---------------------------------

@pytest.mark.parametrize("command", FAILING)
def test_failing_command_stderr(ocirun, command, tmp_path):
    cp = run(ocirun, "--root", str(tmp_path), command, "x")
    assert cp.returncode == 1
    lines = err(cp).splitlines()
    assert len(lines) == 1, lines          # the error is printed once
    m = TEXT_LINE.match(lines[0])
    assert m, lines
    assert m.group(3) == "error"
    assert m.group(4) == FAIL_MSG
    assert cp.stdout == b""


@pytest.mark.parametrize("command", FAILING)
@pytest.mark.parametrize("spelling", ["two-dash", "equals", "one-dash", "one-dash-equals"])
def test_failing_command_text_log(ocirun, command, spelling, tmp_path):
    log = tmp_path / "ocirun.log"
    flag = {"two-dash": ["--log", str(log)], "equals": ["--log=%s" % log],
            "one-dash": ["-log", str(log)], "one-dash-equals": ["-log=%s" % log]}[spelling]
    cp = run(ocirun, "--root", str(tmp_path), *flag, command, "x")
    assert cp.returncode == 1
    # with --log, stderr gets the bare message (runc does the same)
    assert err(cp) == FAIL_MSG + "\n"
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    m = TEXT_LINE.match(lines[0])
    assert m and m.group(3) == "error" and m.group(4) == FAIL_MSG
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", FAILING)
def test_failing_command_json_log(ocirun, command, tmp_path):
    log = tmp_path / "ocirun.log"
    log.write_text('{"level":"info","msg":"earlier line","time":"2020-01-01T00:00:00Z"}\n')
    cp = run(ocirun, "--root", str(tmp_path), "--log", str(log), "--log-format=json",
             command, "x")
    assert cp.returncode == 1
    lines = log.read_text().splitlines()
    assert len(lines) == 2                 # appended, not truncated
    entry = json.loads(lines[1])
    assert entry["level"] == "error"
    assert entry["msg"] == FAIL_MSG
    assert RFC3339_NANO.match(entry["time"]), entry


def test_json_to_stderr_without_log(ocirun, tmp_path):
    # runc --log-format json without --log writes json lines to stderr
    cp = run(ocirun, "--root", str(tmp_path), "--log-format", "json", "checkpoint", "x")
    entry = json.loads(err(cp).strip())
    assert entry["level"] == "error" and entry["msg"] == FAIL_MSG


def test_json_escaping(ocirun, tmp_path):
    log = tmp_path / "log.json"
    name = b'a"b\\c\nd\te\x01f\xffg\xc3\xa9\xe2\x82'
    cp = subprocess.run([os.fsencode(ocirun), b"--log", bytes(log), b"--log-format", b"json", name],
                        capture_output=True, timeout=20)
    assert cp.returncode == 3
    raw = log.read_bytes()
    assert raw.count(b"\n") == 1 and raw.endswith(b"\n")
    entry = json.loads(raw.decode("utf-8"))  # strict: valid UTF-8, valid JSON
    assert entry["msg"] == "No help topic for 'a\"b\\c\nd\te\x01f\ufffdg\u00e9\ufffd\ufffd'"


def test_text_escaping(ocirun, tmp_path):
    log = tmp_path / "log.txt"
    cp = subprocess.run([os.fsencode(ocirun), b"--log", bytes(log), b'x"y\nz\xff'],
                        capture_output=True, timeout=20)
    assert cp.returncode == 3
    line = log.read_bytes().decode()
    assert line.count("\n") == 1
    assert TEXT_LINE.match(line.rstrip("\n")).group(4) == "No help topic for 'x\\\"y\\nz\\xff'"


def test_log_level_filters_debug(ocirun, tmp_path):
    cases = [([], False), (["--debug"], True), (["--log-level", "debug"], True),
             (["--log-level", "error"], False)]
    for i, (args, want) in enumerate(cases):
        log = tmp_path / ("log%d" % i)
        cp = run(ocirun, "--root", str(tmp_path), "--log", str(log), *args,
                 "--criu", "/opt/criu", "checkpoint", "x")
        assert cp.returncode == 1
        text = log.read_text()
        assert ("level=debug" in text and "/opt/criu" in text) == want, (args, text)
        assert FAIL_MSG in text


def test_log_to_fifo_via_proc_fd(ocirun, tmp_path):
    # containerd's shim passes /proc/self/fd/N of a fifo it reads
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    wfd = os.open(fifo, os.O_WRONLY)
    try:
        cp = run(ocirun, "--root", str(tmp_path), "--log", "/proc/self/fd/%d" % wfd,
                 "--log-format", "json", "checkpoint", "x", pass_fds=(wfd,))
        assert cp.returncode == 1
        entry = json.loads(os.read(rfd, 65536).decode())
        assert entry["msg"] == FAIL_MSG
    finally:
        os.close(wfd)
        os.close(rfd)


def test_log_fifo_without_reader_does_not_block(ocirun, tmp_path):
    fifo = tmp_path / "noreader.fifo"
    os.mkfifo(fifo)
    cp = run(ocirun, "--log", str(fifo), "checkpoint", "x", timeout=10)
    assert cp.returncode == 1
    assert "open log file `%s`" % fifo in err(cp)


def test_unopenable_log(ocirun, tmp_path):
    cp = run(ocirun, "--log", str(tmp_path / "no" / "dir" / "log"), "checkpoint", "x")
    assert cp.returncode == 1
    assert "open log file" in err(cp) and "No such file or directory" in err(cp)


# ---- default --root ---------------------------------------------------------

@pytest.fixture
def world_dir():
    """A directory user nobody can use (pytest's tmp_path is under a 0700 dir)."""
    d = tempfile.mkdtemp(prefix="ocirun-cli-")
    os.chmod(d, 0o777)
    yield pathlib.Path(d)
    shutil.rmtree(d)


@pytest.fixture
def nobody_ocirun(ocirun):
    """The binary under test, copied where user nobody can reach it: the
    build tree may sit under a directory only root can enter (a 0700
    mktemp dir, pytest's tmp dirs)."""
    d = tempfile.mkdtemp(prefix="ocirun-bin-")
    os.chmod(d, 0o755)
    copy = pathlib.Path(d) / "ocirun"
    shutil.copy2(ocirun, copy)
    os.chmod(copy, 0o755)
    yield copy
    shutil.rmtree(d)


def as_nobody(env):
    def demote():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    return {"preexec_fn": demote, "env": env}


@pytest.mark.root
def test_rootless_default_root_needs_xdg(nobody_ocirun, world_dir):
    ocirun = nobody_ocirun
    tmp_path = world_dir
    env = {"PATH": "/usr/bin:/bin"}
    cp = run(ocirun, "checkpoint", "x", cwd=tmp_path, **as_nobody(env))
    assert cp.returncode == 1
    assert "XDG_RUNTIME_DIR is not set" in err(cp)
    # help, version and spec do not need a state directory
    assert run(ocirun, "checkpoint", "--help", cwd=tmp_path, **as_nobody(env)).returncode == 0
    assert run(ocirun, "--version", cwd=tmp_path, **as_nobody(env)).returncode == 0


@pytest.mark.root
def test_rootless_default_root_uses_xdg(nobody_ocirun, world_dir):
    ocirun = nobody_ocirun
    tmp_path = world_dir
    os.chown(tmp_path, 65534, 65534)   # XDG_RUNTIME_DIR must be the user's own
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp_path)}
    cp = run(ocirun, "checkpoint", "x", cwd=tmp_path, **as_nobody(env))
    assert cp.returncode == 1
    assert FAIL_MSG in err(cp)
    assert run(ocirun, "--version", **as_nobody(env)).returncode == 0
    # the state directory is created lazily, by commands that write state
    assert not (tmp_path / "ocirun").exists()


# ---- spec ---------------------------------------------------------------------

def load(path):
    with open(path) as f:
        return json.load(f)


def comparable(doc):
    # ociVersion and hostname legitimately differ from runc's
    doc = dict(doc)
    doc.pop("ociVersion")
    doc.pop("hostname")
    return doc


@pytest.mark.parametrize("rootless", [False, True])
def test_spec_matches_runc(ocirun, tmp_path, rootless):
    runc = shutil.which("runc")
    if runc is None:
        pytest.skip("runc is not installed: cannot compare with `runc spec`")
    extra = ["--rootless"] if rootless else []
    (tmp_path / "ours").mkdir()
    (tmp_path / "runc").mkdir()
    cp = run(ocirun, "spec", *extra, cwd=tmp_path / "ours")
    assert cp.returncode == 0, err(cp)
    assert subprocess.run([runc, "spec", *extra], cwd=tmp_path / "runc").returncode == 0
    ours = load(tmp_path / "ours" / "config.json")
    theirs = load(tmp_path / "runc" / "config.json")
    assert ours["ociVersion"] == "1.3.0"
    assert ours["hostname"] == "ocirun"
    assert comparable(ours) == comparable(theirs)


def test_spec_file_ends_with_one_newline(ocirun, tmp_path):
    assert run(ocirun, "spec", cwd=tmp_path).returncode == 0
    raw = (tmp_path / "config.json").read_bytes()
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")


def test_spec_rootless_content(ocirun, tmp_path):
    assert run(ocirun, "spec", "--rootless", cwd=tmp_path).returncode == 0
    doc = load(tmp_path / "config.json")
    lx = doc["linux"]
    assert lx["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert lx["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    types = [n["type"] for n in lx["namespaces"]]
    assert "user" in types and "network" not in types
    assert "resources" not in lx
    sys_mount = [m for m in doc["mounts"] if m["destination"] == "/sys"][0]
    assert sys_mount["type"] == "none" and "rbind" in sys_mount["options"]


@pytest.mark.parametrize("spelling", [["--bundle", "B"], ["--bundle=B"], ["-b", "B"], ["-bundle", "B"],
                                      ["-b=B"]])
def test_spec_bundle_spellings(ocirun, tmp_path, spelling):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    args = [a.replace("B", str(bundle)) for a in spelling]
    cp = run(ocirun, "spec", *args, cwd="/")
    assert cp.returncode == 0, err(cp)
    doc = load(bundle / "config.json")
    assert doc["process"]["args"] == ["sh"] and doc["process"]["terminal"] is True


def test_spec_refuses_to_overwrite(ocirun, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text("keep me")
    cp = run(ocirun, "spec", cwd=tmp_path)
    assert cp.returncode == 1
    assert "File config.json exists. Remove it first" in err(cp)
    assert cfg.read_text() == "keep me"


def test_spec_does_not_follow_symlink(ocirun, tmp_path):
    target = tmp_path / "elsewhere"
    (tmp_path / "config.json").symlink_to(target)
    cp = run(ocirun, "spec", cwd=tmp_path)
    assert cp.returncode == 1
    assert "File config.json exists" in err(cp)
    assert not target.exists()


def test_spec_missing_bundle(ocirun, tmp_path):
    missing = tmp_path / "missing"
    cp = run(ocirun, "spec", "--bundle", str(missing))
    assert cp.returncode == 1
    assert "open bundle `%s`: No such file or directory" % missing in err(cp)


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_spec_file_mode_follows_umask(ocirun, tmp_path, umask, mode):
    cp = run(ocirun, "spec", cwd=tmp_path, preexec_fn=lambda: os.umask(umask))
    assert cp.returncode == 0, err(cp)
    assert stat.S_IMODE((tmp_path / "config.json").stat().st_mode) == mode


@pytest.mark.root
def test_spec_needs_no_state_dir(nobody_ocirun, world_dir):
    ocirun = nobody_ocirun
    tmp_path = world_dir
    env = {"PATH": "/usr/bin:/bin"}       # no XDG_RUNTIME_DIR
    cp = run(ocirun, "spec", cwd=tmp_path, **as_nobody(env))
    assert cp.returncode == 0, err(cp)
    assert (tmp_path / "config.json").stat().st_uid == 65534


# ---- features -------------------------------------------------------------------

@pytest.fixture
def features(ocirun):
    cp = run(ocirun, "features")
    assert cp.returncode == 0, err(cp)
    return json.loads(out(cp))


def test_features_document(features, ocirun):
    assert features["ociVersionMin"] == "1.0.0"
    assert features["ociVersionMax"] == "1.3.0"
    assert features["hooks"] == ["prestart", "createRuntime", "createContainer",
                                 "startContainer", "poststart", "poststop"]
    opts = set(features["mountOptions"])
    for o in ["bind", "rbind", "ro", "rro", "nosymfollow", "rshared", "tmpcopyup", "idmap",
              "ridmap", "strictatime", "rnoatime", "rnodev"]:
        assert o in opts, o
    assert len(opts) == len(features["mountOptions"])   # no duplicates
    lx = features["linux"]
    assert sorted(lx["namespaces"]) == ["cgroup", "ipc", "mount", "network", "pid", "time",
                                        "user", "uts"]
    # the systemd driver exists only in builds with libsystemd's headers,
    # which `--version` lists as +SYSTEMD
    sd = "+SYSTEMD" in out(run(ocirun, "--version"))
    assert lx["cgroup"] == {"v1": True, "v2": True, "systemd": sd, "systemdUser": sd,
                            "rdma": True}
    for k in ["apparmor", "selinux"]:
        assert lx[k] == {"enabled": True}, k
    # issue #13 (tests/integration/test_spec_extras.py checks the details)
    assert lx["intelRdt"] == {"enabled": True, "schemata": True, "monitoring": True}
    assert lx["netDevices"] == {"enabled": True}
    assert lx["mountExtensions"] == {"idmap": {"enabled": True}}
    version = out(run(ocirun, "--version")).splitlines()
    ann = features["annotations"]
    assert version[0] == "ocirun version " + ann["org.opencontainers.ocirun.version"]
    assert version[1] == "commit: " + ann["org.opencontainers.ocirun.commit"]


def test_features_capabilities_match_kernel(features):
    caps = features["linux"]["capabilities"]
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    assert "CAP_CHOWN" in caps and "CAP_SYS_ADMIN" in caps
    assert all(re.fullmatch(r"CAP_[A-Z_]+", c) for c in caps)
    # every capability the kernel has, unless libcap is older than the kernel
    assert len(caps) <= last + 1
    assert len(caps) >= 41                 # CAP_CHECKPOINT_RESTORE (40) is known to libcap 2.66


def test_features_seccomp(features, ocirun):
    sec = features["linux"]["seccomp"]
    tags = out(run(ocirun, "--version")).split()
    # enabled only once seccomp filters are applied, and never without libseccomp
    assert isinstance(sec["enabled"], bool)
    if "+SECCOMP" not in tags:
        assert sec["enabled"] is False and "actions" not in sec
        return
    assert "SCMP_ACT_NOTIFY" in sec["actions"] and "SCMP_ACT_KILL_PROCESS" in sec["actions"]
    assert "SCMP_CMP_MASKED_EQ" in sec["operators"]
    assert "SCMP_ARCH_X86_64" in sec["archs"] and "SCMP_ARCH_AARCH64" in sec["archs"]
    assert set(sec["supportedFlags"]) <= set(sec["knownFlags"])
    assert "SECCOMP_FILTER_FLAG_TSYNC" in sec["supportedFlags"]  # any kernel since 3.17
    libseccomp = features["annotations"]["io.github.seccomp.libseccomp.version"]
    assert "libseccomp: " + libseccomp in out(run(ocirun, "--version"))


def test_features_rejects_arguments(ocirun):
    cp = run(ocirun, "features", "x")
    assert cp.returncode == 1
    assert 'requires exactly 0 argument(s)' in err(cp)


# ---- shared helpers used by the other commands (options.h) -----------------

@pytest.mark.parametrize("bad", ["a/b", "..", ".", "", "x y", "a\nb", "é", "a" * 1025])
@pytest.mark.parametrize("command", ["state", "delete"])
def test_invalid_container_id(ocirun, tmp_path, command, bad):
    # runc: "invalid container ID format"
    cp = run(ocirun, "--root", str(tmp_path), command, bad)
    assert cp.returncode == 1
    assert err(cp).count("invalid container ID format") == 1


@pytest.mark.parametrize("good", ["a", "A-b_c.d+e", "0" * 1024, "..."])
def test_valid_container_id_passes_validation(ocirun, tmp_path, good):
    cp = run(ocirun, "--root", str(tmp_path), "state", good)
    assert cp.returncode == 1                       # no such container
    assert "invalid container ID format" not in err(cp)


@pytest.mark.parametrize("args", [[], ["a", "b"]])
def test_exactly_one_argument(ocirun, tmp_path, args):
    # runc: `runc: "state" requires exactly 1 argument(s)`
    cp = run(ocirun, "--root", str(tmp_path), "state", *args)
    assert cp.returncode == 1
    assert 'ocirun: \\"state\\" requires exactly 1 argument(s)' in err(cp)


def test_double_dash_ends_flags(ocirun, tmp_path):
    # after `--` a dash-led word is an argument ("-x" is a valid id), not a flag
    cp = run(ocirun, "--root", str(tmp_path), "state", "--", "-x")
    assert cp.returncode == 1
    assert "flag provided but not defined" not in err(cp)
    assert "invalid container ID format" not in err(cp)
    assert "requires exactly 1 argument" not in err(cp)
