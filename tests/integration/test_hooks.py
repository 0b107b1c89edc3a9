"""OCI hooks in real containers (runtime.md "Lifecycle", config.md
"POSIX-platform Hooks"): the six stages in order, each with the state on
stdin, their args/env, a failing createRuntime hook aborting create with
nothing left, a failing poststop hook only warning, a timeout killing the
hook."""

import json
import os
import re
import time

import pytest

pytestmark = pytest.mark.root

STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"]


def errmsg(result):
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', result.stderr)
    return json.loads(f'"{m.group(1)}"') if m else result.stderr


def recording_hook(name, logdir):
    """A hook that saves its stdin as NAME.json and appends NAME to order.

    logdir is the directory as the hook sees it (the host path, or /hooklog
    for the startContainer hook, whose path resolves in the container)."""
    return {"path": "/bin/sh",
            "args": ["sh", "-c",
                     f'cat > {logdir}/{name}.json; echo "{name} $0 $HOOKVAR" >> {logdir}/order',
                     f"argv0-{name}"],
            "env": [f"HOOKVAR=env-{name}"]}


@pytest.fixture
def logdir(test_dir, bundle):
    d = test_dir / "hooklog"
    d.mkdir()
    os.chmod(d, 0o777)
    # the startContainer hook runs in the container: it sees the dir here
    bundle.add_mount("/hooklog", source=str(d), options=["rbind", "rw"])
    return d


def set_hooks(bundle, hooks):
    bundle.config["hooks"] = hooks
    bundle.write()


def test_all_hooks_in_order_with_state(run_ocirun, tmp_root, bundle, logdir, unique_id):
    hooks = {}
    for stage in STAGES:
        where = "/hooklog" if stage == "startContainer" else str(logdir)
        hooks[stage] = [recording_hook(stage, where)]
    set_hooks(bundle, hooks)
    bundle.set_args(["/bin/true"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=60)
    assert r.returncode == 0, r.stderr
    order = (logdir / "order").read_text().splitlines()
    # args[0] is argv[0] and the env is the hook's own
    assert order == [f"{s} argv0-{s} env-{s}" for s in STAGES]
    pids = set()
    for stage in STAGES:
        state = json.loads((logdir / f"{stage}.json").read_text())
        assert state["id"] == unique_id, stage
        assert state["bundle"] == str(bundle.path), stage
        assert "ocirun" not in state, stage
        assert state["ociVersion"], stage
        if stage != "poststop":
            assert state["pid"] > 0, stage
            pids.add(state["pid"])
    assert len(pids) == 1  # every hook saw the same init
    st = {s: json.loads((logdir / f"{s}.json").read_text())["status"] for s in STAGES}
    assert st["prestart"] == st["createRuntime"] == "creating"
    assert st["startContainer"] == "created"
    assert st["poststart"] == "running"
    assert st["poststop"] == "stopped"
    assert not (tmp_root / unique_id).exists()


def test_create_start_delete_run_the_hooks_at_their_step(run_ocirun, tmp_root, bundle, logdir,
                                                         unique_id):
    hooks = {s: [recording_hook(s, "/hooklog" if s == "startContainer" else str(logdir))]
             for s in STAGES}
    set_hooks(bundle, hooks)
    bundle.set_args(["/bin/sleep", "1000"])
    order = logdir / "order"

    def stages():
        return [line.split()[0] for line in order.read_text().splitlines()]

    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    assert stages() == ["prestart", "createRuntime", "createContainer"]
    run_ocirun("start", unique_id, check=True)
    assert stages() == STAGES[:5]
    run_ocirun("kill", unique_id, "KILL", check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if json.loads(run_ocirun("state", unique_id, check=True).stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    run_ocirun("delete", unique_id, check=True)
    assert stages() == STAGES


def test_failing_create_runtime_hook_leaves_nothing(run_ocirun, tmp_root, bundle, logdir,
                                                    unique_id):
    set_hooks(bundle, {
        "prestart": [recording_hook("prestart", str(logdir))],
        "createRuntime": [{"path": "/bin/sh",
                           "args": ["sh", "-c", "echo 'no network for you' >&2; exit 3"]}],
        "createContainer": [recording_hook("createContainer", str(logdir))],
        "poststop": [recording_hook("poststop", str(logdir))],
    })
    bundle.set_args(["/bin/sleep", "1000"])
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1
    msg = errmsg(r)
    assert "createRuntime hook `/bin/sh`" in msg
    assert "exited with status 3" in msg
    assert "no network for you" in msg
    assert len(r.stderr.strip().splitlines()) == 1  # one line
    # the stages after the failure never ran
    assert [line.split()[0] for line in (logdir / "order").read_text().splitlines()] == \
        ["prestart"]
    assert not (tmp_root / unique_id).exists()
    assert run_ocirun("list", "-q", check=True).stdout == ""


def test_failing_poststop_hook_only_warns(run_ocirun, tmp_root, bundle, logdir, unique_id):
    set_hooks(bundle, {
        "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo bad >&2; exit 4"]},
                     recording_hook("poststop", str(logdir))],
    })
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 0, r.stderr
    assert "poststop hook `/bin/sh`" in r.stderr and "exited with status 4" in r.stderr
    assert "level=warn" in r.stderr or "warn" in r.stderr.lower()
    assert not (tmp_root / unique_id).exists()


def test_hook_timeout_kills_the_hook(run_ocirun, tmp_root, bundle, logdir, unique_id):
    marker = logdir / "sleeping"
    set_hooks(bundle, {"prestart": [{
        "path": "/bin/sh", "args": ["sh", "-c", f"echo $$ > {marker}; exec sleep 30"],
        "timeout": 1}]})
    bundle.set_args(["/bin/sleep", "1000"])
    t0 = time.monotonic()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id, timeout=20)
    elapsed = time.monotonic() - t0
    assert r.returncode == 1
    assert "prestart hook `/bin/sh`: timed out after 1 s" in errmsg(r)
    assert elapsed < 5
    hook_pid = int(marker.read_text())
    assert not os.path.exists(f"/proc/{hook_pid}")  # killed and reaped
    assert not (tmp_root / unique_id).exists()


def test_missing_hook_binary(run_ocirun, tmp_root, bundle, unique_id):
    set_hooks(bundle, {"createRuntime": [{"path": "/nonexistent/hook"}]})
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1
    assert "createRuntime hook `/nonexistent/hook`" in errmsg(r)
    assert "No such file or directory" in errmsg(r)
    assert not (tmp_root / unique_id).exists()
