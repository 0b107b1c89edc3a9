"""CVE-2019-18837 (crun): a mount destination, or /etc/hostname, whose
*last* component is a symlink pointing out of the rootfs; the runtime
checked the parent directories but followed the final symlink with host
privileges and mounted (or wrote the hostname) onto a host path.

ocirun opens the whole destination, last component included, with
openat2(RESOLVE_IN_ROOT): an absolute or `../` symlink resolves inside the
rootfs; the mount goes onto that fd. It does not write /etc/hostname at all
(the UTS hostname is set with sethostname; a bind of a file at
/etc/hostname is an ordinary in-root mount)."""

import os

import pytest

from hostguard import HostGuard

pytestmark = pytest.mark.root


def link_target(path, kind):
    return str(path) if kind == "absolute" else "../" * 12 + str(path).lstrip("/")


@pytest.mark.parametrize("kind", ["absolute", "relative"])
@pytest.mark.parametrize("mtype", ["bind", "tmpfs"])
def test_mount_destination_last_component_symlink(bundle, run_ocirun, unique_id, test_dir, kind,
                                                  mtype):
    guard = HostGuard(test_dir)
    host_dir = guard.directory("host-target")
    src = test_dir / "volume"
    src.mkdir()
    (src / "payload").write_text("from the volume\n")
    guard.arm()
    (bundle.rootfs / "mnt").mkdir(exist_ok=True)
    os.symlink(link_target(host_dir, kind), bundle.rootfs / "mnt/link")
    if mtype == "bind":
        bundle.add_mount("/mnt/link", None, str(src), ["bind"])
    else:
        bundle.add_mount("/mnt/link", "tmpfs", "tmpfs", ["size=1m"])
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/mountinfo"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    print(f"{mtype} {kind}: rc={r.returncode} {r.stderr[-200:]}")
    if r.returncode != 0:
        assert r.returncode == 1 and "/mnt/link" in r.stderr, r.stderr
    else:
        # the mount landed inside the rootfs, where the link resolves in-root
        points = [line.split()[4] for line in r.stdout.splitlines()]
        resolved = "/" + str(host_dir).lstrip("/")
        assert "/mnt/link" in points or resolved in points, r.stdout
    guard.check()
    assert sorted(os.listdir(host_dir)) == ["marker"]


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_etc_hostname_symlink(bundle, run_ocirun, unique_id, test_dir, kind):
    """/etc/hostname -> host sentinel, with a hostname in the config and a
    file bound at /etc/hostname (what podman and CRI-O add)."""
    guard = HostGuard(test_dir)
    host_file = guard.file("hostname-target")
    ours = test_dir / "hostname"
    ours.write_text("from-the-engine\n")
    guard.arm()
    os.symlink(link_target(host_file, kind), bundle.rootfs / "etc/hostname")
    bundle.config["hostname"] = "attacker"
    bundle.add_mount("/etc/hostname", None, str(ours), ["bind", "ro"])
    bundle.set_args(["/bin/sh", "-c", "hostname; cat /etc/hostname"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    print(f"hostname {kind}: rc={r.returncode} {r.stderr[-200:]}")
    if r.returncode != 0:
        assert r.returncode == 1 and "/etc/hostname" in r.stderr, r.stderr
    else:
        assert r.stdout.splitlines()[0] == "attacker"
    guard.check()
    assert host_file.read_text() == "host sentinel, must not change\n"
    assert ours.read_text() == "from-the-engine\n"
