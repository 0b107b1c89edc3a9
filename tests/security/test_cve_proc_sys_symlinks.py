"""CVE-2019-16884, CVE-2019-19921, CVE-2023-27561: /proc (or /sys) in the
rootfs is not what the runtime thinks it is.

- 2019-19921 / 2023-27561: rootfs `proc` is a symlink (to a host path, or
  into a volume the attacker controls), so the procfs mount lands
  elsewhere and a fake /proc is left where the runtime later writes LSM
  labels, sysctls or oom_score_adj.
- 2019-16884: a config mount over /proc (a plain directory bound onto it)
  makes the AppArmor label write go into a regular file: the workload runs
  unconfined.

ocirun resolves every destination inside the rootfs (openat2
RESOLVE_IN_ROOT), refuses a symlink at /proc and /sys (special mount
points must be real directories), requires whatever is mounted at or under
/proc to be procfs, and writes labels and sysctls only through fds checked
with fstatfs(PROC_SUPER_MAGIC) without crossing a mount."""

import os

import pytest

from hostguard import HostGuard

pytestmark = pytest.mark.root


def replace_with_symlink(bundle, name, target):
    p = bundle.rootfs / name
    os.rmdir(p)
    os.symlink(target, p)


def assert_refused_or_inside(r, what):
    if r.returncode != 0:
        assert r.returncode == 1 and r.stderr.strip(), r.stderr
        return
    # accepted: then the special filesystem really is at the right place
    assert f" /{what} " in r.stdout, r.stdout


@pytest.mark.parametrize("what", ["proc", "sys"])
@pytest.mark.parametrize("style", ["absolute-host", "relative-escape"])
def test_special_dir_symlinked_to_host(bundle, run_ocirun, unique_id, test_dir, what, style):
    """rootfs/proc (or sys) -> a host directory holding a sentinel: the
    mount must not land on the host directory (no new host mount, sentinel
    untouched); create fails with a message naming the path."""
    guard = HostGuard(test_dir)
    target = guard.directory(f"{what}-target")
    guard.arm()
    link = str(target) if style == "absolute-host" else "../" * 12 + str(target).lstrip("/")
    replace_with_symlink(bundle, what, link)
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/mountinfo"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1, r.stdout
    assert f"/{what}" in r.stderr
    guard.check()


def test_proc_symlink_into_a_volume(bundle, run_ocirun, unique_id, test_dir):
    """CVE-2019-19921's shape: a volume (bind mount at /vol) holds a plain
    directory `fakeproc` with a fake `self/attr/exec`, and rootfs/proc is a
    symlink to /vol/fakeproc. The procfs mount must not be redirected into
    the volume: create is refused (or procfs lands at /proc itself), and
    the host side of the volume gains no mount and no entry."""
    guard = HostGuard(test_dir)
    vol = guard.directory("volume")
    (vol / "fakeproc/self/attr").mkdir(parents=True)
    (vol / "fakeproc/self/attr/exec").write_text("")
    guard.paths.append(vol / "fakeproc")
    guard.arm()
    bundle.add_mount("/vol", None, str(vol), ["rbind", "rw"])
    replace_with_symlink(bundle, "proc", "vol/fakeproc")
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/mountinfo"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert_refused_or_inside(r, "proc")
    guard.check()
    assert os.listdir(vol / "fakeproc") == ["self"]


def test_bind_over_proc_hides_lsm_write(bundle, run_ocirun, unique_id, test_dir):
    """CVE-2019-16884: a directory bind-mounted over /proc after the procfs
    mount, plus an apparmorProfile. OCIRUN_LSM_HOST=apparmor makes ocirun
    take the apply path on this host (which has no AppArmor). The label
    write must fail because /proc is not procfs, never succeed into the
    fake file."""
    fake = test_dir / "fakeproc"
    (fake / "thread-self/attr/apparmor").mkdir(parents=True)
    (fake / "thread-self/attr/exec").write_text("")
    (fake / "thread-self/attr/apparmor/exec").write_text("")
    bundle.config["process"]["apparmorProfile"] = "ocirun-test-profile"
    bundle.add_mount("/proc", None, str(fake), ["rbind", "rw"])
    bundle.set_args(["/bin/true"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "apparmor"})
    assert r.returncode == 1
    assert "only procfs may be mounted on /proc" in r.stderr, r.stderr
    assert (fake / "thread-self/attr/exec").read_text() == ""
    assert (fake / "thread-self/attr/apparmor/exec").read_text() == ""


def test_bind_of_proc_file_over_attr_exec(bundle, run_ocirun, unique_id, test_dir):
    """The same with a *procfs* file bound over the attr directory's exec
    entry is impossible to set up from the config before the label write
    (ocirun mounts before it writes); what can be set up is a bind of a
    host file at /proc/self/attr: refused, as every mount under /proc must
    land on procfs and not hide procfs entries with non-procfs files."""
    f = test_dir / "fake-exec"
    f.write_text("")
    bundle.config["process"]["apparmorProfile"] = "ocirun-test-profile"
    bundle.add_mount("/proc/self/attr/exec", None, str(f), ["bind"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "apparmor"})
    assert r.returncode != 0 and r.stderr.strip()
    assert f.read_text() == ""


def test_no_proc_mount_fake_attr_in_rootfs(bundle, run_ocirun, unique_id):
    """CVE-2019-16884 without any mount trick: the config has no /proc
    mount and the rootfs ships a plain directory tree
    proc/thread-self/attr/{exec,apparmor/exec}. A runtime that writes the
    label by path "succeeds" into the image's file. ocirun's lsm.c checks
    that /proc is procfs (fstatfs) before the write and fails."""
    attr = bundle.rootfs / "proc/thread-self/attr"
    (attr / "apparmor").mkdir(parents=True)
    (attr / "exec").write_text("")
    (attr / "apparmor/exec").write_text("")
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/proc"]
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["process"]["apparmorProfile"] = "ocirun-test-profile"
    bundle.set_args(["/bin/true"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "apparmor"})
    assert r.returncode == 1
    assert "`/proc` is not procfs: cannot set the LSM label" in r.stderr, r.stderr
    assert (attr / "exec").read_text() == "" and (attr / "apparmor/exec").read_text() == ""
    # without the profile the same bundle runs: the refusal is the label's
    del bundle.config["process"]["apparmorProfile"]
    bundle.write()
    assert run_ocirun("run", "--bundle", bundle.path, unique_id + "-2").returncode == 0
