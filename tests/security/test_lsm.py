"""LSM labels: process.apparmorProfile, process.selinuxLabel and
linux.mountLabel (src/lib/lsm.c).

On a host with the module the label is applied right before execve through
/proc/thread-self/attr of a verified procfs; those tests skip here with the
reason when the module is absent. On a host without it: a process label is
an error before anything is cloned (runc 1.1 fails too; running a workload
unconfined that asked for confinement is never silent), a mountLabel is
ignored with a warning (as crun). OCIRUN_LSM_HOST can only *add* a module
to what was detected, so the apply path is exercised here too: the write
really reaches the kernel, which refuses it."""

import os

import pytest

from conftest import json_from

pytestmark = pytest.mark.root


def apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return os.path.isdir("/sys/kernel/security/apparmor") and f.read().startswith("Y")
    except OSError:
        return False


def selinux_enabled():
    return os.path.exists("/sys/fs/selinux/enforce")


needs_apparmor = pytest.mark.skipif(not apparmor_enabled(),
                                    reason="AppArmor is not enabled on this host "
                                    "(/sys/module/apparmor/parameters/enabled is not Y)")
needs_selinux = pytest.mark.skipif(not selinux_enabled(),
                                   reason="SELinux is not enabled on this host "
                                   "(no /sys/fs/selinux/enforce)")
without_apparmor = pytest.mark.skipif(apparmor_enabled(), reason="AppArmor is enabled here")
without_selinux = pytest.mark.skipif(selinux_enabled(), reason="SELinux is enabled here")


@without_apparmor
def test_apparmor_profile_refused_without_apparmor(bundle, run_ocirun, unique_id, tmp_root):
    bundle.config["process"]["apparmorProfile"] = "docker-default"
    bundle.write()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1
    assert ("process.apparmorProfile `docker-default`: AppArmor is not supported on this host"
            in r.stderr), r.stderr
    assert not (tmp_root / unique_id).exists()


@without_selinux
def test_selinux_label_refused_without_selinux(bundle, run_ocirun, unique_id, tmp_root):
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2"
    bundle.write()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode == 1
    assert "process.selinuxLabel" in r.stderr and "SELinux is not supported" in r.stderr
    assert not (tmp_root / unique_id).exists()


def test_empty_labels_mean_none(bundle, run_ocirun, unique_id):
    bundle.config["process"]["apparmorProfile"] = ""
    bundle.config["process"]["selinuxLabel"] = ""
    bundle.write()
    assert run_ocirun("run", "--bundle", bundle.path, unique_id).returncode == 0


@without_selinux
def test_mount_label_ignored_without_selinux(bundle, run_ocirun, unique_id):
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    bundle.set_args(["/bin/ocitest", "mounts"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert "linux.mountLabel: SELinux is not enabled on this host, ignored" in r.stderr
    assert "context=" not in r.stdout


def test_bad_labels_refused(bundle, run_ocirun, unique_id):
    """Whatever the host: a label with a newline (a second attr command) or
    over a page is refused with the field named; a mountLabel with a quote
    (which would end the quoted context= value) too."""
    for field, value, want in (
            ("apparmorProfile", "a\nexec unconfined", "control character"),
            ("selinuxLabel", "x" * 5000, "at most 4095"),
            ("mountLabel", 'system_u:object_r:x:s0",nosuid', "is not allowed")):
        bundle.config["process"].pop("apparmorProfile", None)
        bundle.config["process"].pop("selinuxLabel", None)
        bundle.config["linux"].pop("mountLabel", None)
        (bundle.config["linux"] if field == "mountLabel" else bundle.config["process"])[field] = value
        bundle.write()
        r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                       env={"OCIRUN_LSM_HOST": "apparmor,selinux"})
        assert r.returncode == 1 and field in r.stderr and want in r.stderr, (field, r.stderr)


@without_apparmor
def test_apparmor_apply_path_reaches_the_kernel(bundle, run_ocirun, unique_id):
    """OCIRUN_LSM_HOST=apparmor on a host without it: validation passes, the
    init writes `exec PROFILE` through the verified procfs right before
    execve, and the kernel's refusal (EINVAL: no module handles it) is the
    error, naming the profile and the attr file."""
    bundle.config["process"]["apparmorProfile"] = "ocirun-test"
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "apparmor"})
    assert r.returncode == 1
    assert "apply AppArmor profile `ocirun-test`" in r.stderr, r.stderr
    assert "/proc/thread-self/attr/" in r.stderr


@without_selinux
def test_selinux_apply_path_reaches_the_kernel(bundle, run_ocirun, unique_id):
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "selinux"})
    assert r.returncode == 1
    assert "apply SELinux label" in r.stderr and "attr/exec" in r.stderr, r.stderr


@without_selinux
def test_mount_label_reaches_the_mount(bundle, run_ocirun, unique_id):
    """With SELinux "present", the label becomes `context="..."` in the data
    of the tmpfs mounts; this kernel refuses the option, and the error
    shows the data that was passed."""
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id,
                   env={"OCIRUN_LSM_HOST": "selinux"})
    assert r.returncode == 1
    # the log line escapes the quotes
    assert 'size=65536k,context=\\"system_u:object_r:container_file_t:s0\\"' in r.stderr, r.stderr


def test_exec_labels(bundle, run_ocirun, unique_id):
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    if not apparmor_enabled():
        r = run_ocirun("exec", "--apparmor", "unconfined", unique_id, "true")
        assert r.returncode == 1 and "AppArmor is not supported" in r.stderr
        r = run_ocirun("exec", "--apparmor", "ocirun-test", unique_id, "true",
                       env={"OCIRUN_LSM_HOST": "apparmor"})
        assert r.returncode == 1 and "apply AppArmor profile `ocirun-test`" in r.stderr, r.stderr
    if not selinux_enabled():
        r = run_ocirun("exec", "--process-label", "system_u:system_r:container_t:s0", unique_id,
                       "true")
        assert r.returncode == 1 and "SELinux is not supported" in r.stderr


@needs_apparmor
def test_apparmor_profile_applied(bundle, run_ocirun, unique_id):
    bundle.config["process"]["apparmorProfile"] = "unconfined"
    bundle.set_args(["/bin/cat", "/proc/self/attr/current"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("unconfined")


@needs_selinux
def test_selinux_label_applied(bundle, run_ocirun, unique_id):
    label = "system_u:system_r:container_t:s0:c1,c2"
    bundle.config["process"]["selinuxLabel"] = label
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/attr/current; echo; ls -Zd /dev"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].rstrip("\0") == label
    assert "container_file_t" in r.stdout
