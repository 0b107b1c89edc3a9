"""The systemd cgroup driver where systemd is not running (issue #6): on
this project's host (a container, no systemd as PID 1) --systemd-cgroup and
--cgroup-manager=systemd fail at create with one clear line, before
anything is made, and leave no state; `features` reports the driver when
ocirun was built with libsystemd's headers."""

import json
import os

import pytest

pytestmark = pytest.mark.root


def systemd_running():
    return os.path.isdir("/run/systemd/system")


@pytest.mark.parametrize("flag", [["--systemd-cgroup"], ["--cgroup-manager", "systemd"],
                                  ["--cgroup-manager=systemd"]])
def test_no_systemd_here_is_a_clear_error(bundle, run_ocirun, unique_id, flag):
    if systemd_running():
        pytest.skip("systemd runs on this host: test_systemd_driver.py covers it")
    bundle.config["linux"]["cgroupsPath"] = f"system.slice:ocirun-test:{unique_id}"
    bundle.write()
    r = run_ocirun(*flag, "run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "systemd cgroup manager" in lines[0] and "cgroupfs" in lines[0], lines[0]
    assert run_ocirun("state", unique_id).returncode != 0


def test_features_reports_systemd_when_built_with_it(run_ocirun, ocirun):
    feats = json.loads(run_ocirun("features", check=True).stdout)["linux"]["cgroup"]
    built = "+SYSTEMD" in run_ocirun("--version", check=True).stdout
    assert feats["systemd"] is built and feats["systemdUser"] is built, feats
