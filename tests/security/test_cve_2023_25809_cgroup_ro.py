"""CVE-2023-25809 (runc): rootless containers without a cgroup namespace
got a *writable* /sys/fs/cgroup: with a user namespace and no cgroupns,
runc bind-mounted the host's cgroup tree, or with /sys as an `rbind,ro`
bind of the host's /sys (`runc spec --rootless`) the read-only flag was not
applied to the submounts, so the container could write to the host's
cgroups of the rootless user.

ocirun applies `ro` of a bind recursively when asked `rro`, and for the
special /sys and cgroup mounts of a user-namespaced container without a
cgroup namespace mounts /sys/fs/cgroup read-only whatever the config says.
These tests run as root with a user namespace (mapped 0 -> 100000), which
is the situation of a rootless runtime."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ocitestlib.bundle import Bundle

pytestmark = pytest.mark.root

PROBE = ("for d in /sys/fs/cgroup /sys/fs/cgroup/*; do "
         "mkdir $d/ocirun-cve-probe 2>/dev/null && echo WROTE $d; done; "
         "grep ' /sys' /proc/self/mountinfo; echo probed")


@pytest.fixture
def ubundle(ocitest_bin):
    path = Path(tempfile.mkdtemp(prefix="ocirun-sec-", dir="/tmp"))
    os.chmod(path, 0o755)
    b = Bundle(path / "bundle", ocitest_bin)
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.write()
    yield b
    shutil.rmtree(path, ignore_errors=True)


def leftovers():
    found = []
    for root, dirs, _files in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(root, d) for d in dirs if d == "ocirun-cve-probe"]
        if root.count("/") > 6:
            dirs[:] = []
    return found


def check(r):
    assert r.returncode == 0, r.stderr
    assert "probed" in r.stdout
    assert "WROTE" not in r.stdout, r.stdout
    for line in r.stdout.splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[4].startswith("/sys/fs/cgroup"):
            assert "ro" in fields[5].split(","), line
    assert leftovers() == []


def test_default_cgroup_mount_without_cgroupns(ubundle, run_ocirun, unique_id):
    ubundle.config["linux"]["namespaces"] = [n for n in ubundle.config["linux"]["namespaces"]
                                             if n["type"] != "cgroup"]
    ubundle.config["process"]["capabilities"] = {
        k: ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE"] for k in ("bounding", "effective", "permitted")}
    ubundle.set_args(["/bin/sh", "-c", PROBE])
    check(run_ocirun("run", "--bundle", ubundle.path, unique_id))


def test_rootless_spec_sys_rbind_ro(ubundle, run_ocirun, unique_id):
    """`runc spec --rootless` style: no netns, /sys is `rbind,nosuid,
    noexec,nodev,ro` of the host's /sys, no cgroup mount of its own."""
    cfg = ubundle.config
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                  if n["type"] not in ("cgroup", "network")]
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] not in ("/sys",
                                                                          "/sys/fs/cgroup")]
    cfg["mounts"].append({"destination": "/sys", "type": "none", "source": "/sys",
                          "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    cfg["process"]["capabilities"] = {
        k: ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE"] for k in ("bounding", "effective", "permitted")}
    ubundle.set_args(["/bin/sh", "-c", PROBE])
    check(run_ocirun("run", "--bundle", ubundle.path, unique_id))
