"""The static ocirun and its dynamic companion (issue #11).

configure links ocirun statically when it can (--enable-static-binary,
default auto; not with sanitizers). A static program cannot dlopen()
libsystemd, so the systemd cgroup driver is run by `ocirun-systemd`, the
same program linked dynamically: ocirun execs it, with the same arguments,
for --systemd-cgroup on any command and for update, delete, exec and
checkpoint of a container created with that driver, before doing anything
else (src/lib/companion.c). These tests check that hand-over, the error
when the companion is missing (nothing touched), and that the dynamic
build runs containers on its own. On a dynamic build they skip with the
reason; the systemd VM tests run the whole driver through the companion."""

import json
import shutil
from pathlib import Path

import pytest

from ocitestlib import runner
from ocitestlib.elf import is_static

pytestmark = pytest.mark.root

@pytest.fixture
def static_ocirun(ocirun):
    if not is_static(ocirun):
        pytest.skip(f"{ocirun} is dynamically linked (configure found no static link, or "
                    "a sanitizer build): it runs the systemd driver itself")
    return ocirun


@pytest.fixture
def companion(static_ocirun):
    path = Path(static_ocirun).parent / "ocirun-systemd"
    if not path.exists():
        pytest.skip(f"no {path}: ocirun was built without libsystemd's headers")
    assert not is_static(path), f"{path} must be the dynamic build"
    return path


@pytest.fixture
def lone_ocirun(static_ocirun, tmp_path):
    """A copy of the static ocirun with no companion next to it (the
    configured libexec directory has none on this host either)."""
    d = tmp_path / "lone"
    d.mkdir()
    shutil.copy2(static_ocirun, d / "ocirun")
    return d / "ocirun"


def test_systemd_flag_execs_the_companion(companion, run_ocirun, tmp_path):
    log = tmp_path / "log"
    r = run_ocirun("--debug", "--systemd-cgroup", "list", log=log)
    assert r.returncode == 0, r.stderr
    assert f"the systemd cgroup manager: exec {companion}" in log.read_text()
    # without the flag nothing is handed over
    log2 = tmp_path / "log2"
    assert run_ocirun("--debug", "list", log=log2).returncode == 0
    assert "ocirun-systemd" not in log2.read_text()


def test_companion_gives_the_same_answer(companion, run_ocirun, bundle, unique_id):
    """Where systemd does not run (this host), the companion's own error
    comes back: one line, exit 1, nothing created."""
    r = run_ocirun("--systemd-cgroup", "run", "--bundle", bundle.path, unique_id)
    direct = runner.run(str(companion), ["--systemd-cgroup", "run", "--bundle", bundle.path,
                                         unique_id], root=Path(bundle.path).parent / "root2")
    assert r.returncode == direct.returncode, (r.stderr, direct.stderr)
    if r.returncode == 0:
        return  # systemd runs here: test_systemd_driver.py covers the rest
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.split("msg=")[-1] == direct.stderr.split("msg=")[-1]
    assert run_ocirun("state", unique_id).returncode != 0


def test_missing_companion_is_one_line_and_nothing_is_made(lone_ocirun, bundle, unique_id,
                                                            tmp_path):
    root = tmp_path / "lone-root"
    r = runner.run(str(lone_ocirun), ["--systemd-cgroup", "run", "--bundle", bundle.path,
                                      unique_id], root=root)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "ocirun-systemd" in lines[0] and str(lone_ocirun.parent) in lines[0], lines[0]
    assert "No such file or directory" in lines[0], lines[0]
    assert not root.exists() or list(root.iterdir()) == []


def set_manager(root, cid, manager):
    path = Path(root) / cid / "state.json"
    state = json.loads(path.read_text())
    state["ocirun"]["cgroupManager"] = manager
    path.write_text(json.dumps(state))


@pytest.mark.parametrize("command", [["delete", "--force"], ["update", "--pids-limit", "50"],
                                     ["exec", None, "/bin/true"]])
def test_systemd_container_is_handed_over_before_anything(lone_ocirun, bundle, unique_id,
                                                          tmp_root, run_ocirun, command):
    """A container recorded with the systemd driver: without the companion,
    delete/update/exec fail with the companion's error and leave the
    container exactly as it was (init alive, still `created`)."""
    bundle.set_args(["/bin/sleep", "60"])
    bundle.write()
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    before = json.loads(run_ocirun("state", unique_id, check=True).stdout)
    set_manager(tmp_root, unique_id, "systemd")
    try:
        args = [unique_id if a is None else a for a in command]
        if command[0] != "exec":
            args.append(unique_id)
        r = runner.run(str(lone_ocirun), args, root=tmp_root)
        assert r.returncode == 1, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "ocirun-systemd" in r.stderr, r.stderr
        # list and state never need systemd's bus: no hand-over
        assert runner.run(str(lone_ocirun), ["list", "-q"], root=tmp_root).stdout.split() == [
            unique_id]
        after = json.loads(runner.run(str(lone_ocirun), ["state", unique_id],
                                      root=tmp_root, check=True).stdout)
        assert after["status"] == "created" and after["pid"] == before["pid"]
    finally:
        set_manager(tmp_root, unique_id, "cgroupfs")
    run_ocirun("delete", "--force", unique_id, check=True)


def test_dynamic_build_runs_containers(companion, bundle, unique_id, tmp_path):
    """The companion is a whole ocirun (the bench's ocirun-dynamic)."""
    root = tmp_path / "dyn-root"
    bundle.set_args(["/bin/sh", "-c", "echo hello-from-dynamic"])
    bundle.write()
    r = runner.run(str(companion), ["run", "--bundle", bundle.path, unique_id], root=root)
    assert r.returncode == 0, r.stderr
    assert "hello-from-dynamic" in r.stdout
    assert runner.run(str(companion), ["list", "-q"], root=root).stdout.strip() == ""


def test_list_owner_from_passwd(run_ocirun, bundle, unique_id):
    """`list` names the owner from /etc/passwd (no NSS in a static build)."""
    bundle.set_args(["/bin/sleep", "60"])
    bundle.write()
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    rows = json.loads(run_ocirun("list", "--format", "json", check=True).stdout)
    assert [r["owner"] for r in rows if r["id"] == unique_id] == ["root"]
    run_ocirun("delete", "--force", unique_id, check=True)
