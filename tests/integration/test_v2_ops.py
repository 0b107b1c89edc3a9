"""cgroup v2 operations (issue #5), inside the pure cgroup v2 VM: the cgroup
namespace and the container's /sys/fs/cgroup, cgroup ownership with a user
namespace (config-linux.md "Cgroup ownership"), `kill --all` (cgroup.kill,
freeze-signal-thaw), refusing a frozen cgroup, delete of paused and nested
containers, and `exec --cgroup` into sub-cgroups."""

import json
import os
import time

import pytest

from cgroupops_util import read, set_cgroup, wait_for
from test_lifecycle import traversable_test_dir  # noqa: F401 (a fixture)

pytestmark = pytest.mark.vm

CG = "/sys/fs/cgroup"
SLEEPER = ["/bin/sleep", "1000"]
USERNS = {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
          "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}


@pytest.fixture(autouse=True)
def unified_host():
    if not os.path.exists(CG + "/cgroup.controllers"):
        pytest.skip("needs a pure cgroup v2 host (the VM)")


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


def cgdir(path):
    return CG + path


def status(run_ocirun, cid):
    return json.loads(run_ocirun("state", cid, check=True).stdout)["status"]


def all_pids(top):
    """Every pid in a cgroup and its sub-cgroups."""
    pids = []
    for sub, _dirs, _files in os.walk(top):
        try:
            pids += [int(p) for p in read(os.path.join(sub, "cgroup.procs")).split()]
        except OSError:
            pass
    return pids


def read_or_none(path):
    """The file's text, or None while it does not exist yet."""
    try:
        return read(path)
    except OSError:
        return None


def cgroup_mount(bundle, options):
    for m in bundle.config["mounts"]:
        if m["destination"] == "/sys/fs/cgroup":
            m["options"] = list(options)
    bundle.write()


def add_namespaces(bundle, *types):
    bundle.config["linux"]["namespaces"] += [{"type": t} for t in types]
    bundle.write()


def start(run_ocirun, bundle, cid, args=SLEEPER):
    bundle.set_args(args)
    run_ocirun("run", "-d", "--bundle", bundle.path, cid, check=True, timeout=60)


def assert_gone(path):
    assert not os.path.exists(path), f"{path} left behind: {os.listdir(path)}"


# ---- 1. cgroup namespace and the /sys/fs/cgroup mount ------------------------

def test_cgroupns_sees_its_cgroup_as_root(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 42}})
    add_namespaces(bundle, "cgroup")
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max; "
                     "mkdir /sys/fs/cgroup/x 2>/dev/null && echo writable || echo ro"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["0::/", "42", "ro"], r.stdout
    assert_gone(cgdir(cg_path))


def test_without_cgroupns_the_mount_shows_the_container_cgroup(bundle, run_ocirun, unique_id,
                                                               cg_path):
    """As runc: a bind of the container's own cgroup (not the host's tree),
    read-only unless the config's cgroup mount says otherwise."""
    set_cgroup(bundle, cg_path, {"pids": {"limit": 43}})
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max; "
                     "ls /sys/fs/cgroup | grep -c '^ocirun-test' ; "
                     "mkdir /sys/fs/cgroup/x 2>/dev/null && echo writable || echo ro"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:4] == [f"0::{cg_path}", "43", "0", "ro"], r.stdout
    assert_gone(cgdir(cg_path))


def test_rw_cgroup_mount_nested_cgroups_are_removed(bundle, run_ocirun, unique_id, cg_path):
    """rw mount without a cgroup namespace: the container makes nested
    sub-cgroups with processes in them; delete kills and removes them all."""
    set_cgroup(bundle, cg_path)
    cgroup_mount(bundle, ["nosuid", "noexec", "nodev"])
    start(run_ocirun, bundle, unique_id, ["/bin/sh", "-c",
          "mkdir -p /sys/fs/cgroup/a/b /sys/fs/cgroup/c && "
          # retried: seen once to fail under ASan in the TCG VM (cause not
          # found); what is tested here is delete, not the move
          "sh -c 'for i in $(seq 50); do echo $$ > /sys/fs/cgroup/a/b/cgroup.procs && break; "
          "sleep 0.2; done; exec sleep 1000' & "
          "sh -c 'for i in $(seq 50); do echo $$ > /sys/fs/cgroup/c/cgroup.procs && break; "
          "sleep 0.2; done; exec sleep 1000' & "
          "exec sleep 1000"])
    top = cgdir(cg_path)
    assert wait_for(lambda: len(all_pids(top)) == 3 and read_or_none(top + "/a/b/cgroup.procs")
                    and read_or_none(top + "/c/cgroup.procs"), 20), all_pids(top)
    r = run_ocirun("delete", "--force", unique_id, timeout=30)
    assert r.returncode == 0, r.stderr
    assert_gone(top)


# ---- 2. cgroup ownership --------------------------------------------------------

def userns_bundle(bundle, cg_path, mount_options):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 100}})
    bundle.config["linux"].update(json.loads(json.dumps(USERNS)))
    add_namespaces(bundle, "user", "cgroup")
    cgroup_mount(bundle, mount_options)


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def test_userns_cgroupns_rw_mount_delegates_the_cgroup(bundle, run_ocirun, unique_id, cg_path,
                                                       traversable_test_dir):
    userns_bundle(bundle, cg_path, ["nosuid", "noexec", "nodev", "rw"])
    start(run_ocirun, bundle, unique_id)
    top = cgdir(cg_path)
    assert owner(top) == (100000, 100000)
    delegated = [f for f in read("/sys/kernel/cgroup/delegate").split()
                 if os.path.exists(os.path.join(top, f))]
    assert "cgroup.procs" in delegated and "cgroup.subtree_control" in delegated
    for f in delegated:
        assert owner(os.path.join(top, f)) == (100000, 100000), f
    # the limits stay root's: the container cannot raise them
    for f in ("pids.max", "cgroup.type", "cgroup.freeze", "cgroup.kill"):
        assert owner(os.path.join(top, f)) == (0, 0), f
    # root in the container (host uid 100000) makes and enters a sub-cgroup
    r = run_ocirun("exec", unique_id, "/bin/sh", "-c",
                   "id -u; mkdir /sys/fs/cgroup/sub && echo $$ > /sys/fs/cgroup/sub/cgroup.procs"
                   " && cat /proc/self/cgroup; echo 1000 > /sys/fs/cgroup/pids.max || echo denied",
                   timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["0", "0::/sub", "denied"], (r.stdout, r.stderr)
    assert owner(top + "/sub") == (100000, 100000)
    assert read(top + "/pids.max") == "100"
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert_gone(top)


def test_no_delegation_with_a_read_only_mount(bundle, run_ocirun, unique_id, cg_path,
                                              traversable_test_dir):
    userns_bundle(bundle, cg_path, ["nosuid", "noexec", "nodev", "ro"])
    start(run_ocirun, bundle, unique_id)
    top = cgdir(cg_path)
    assert owner(top) == (0, 0) and owner(top + "/cgroup.procs") == (0, 0)
    r = run_ocirun("exec", unique_id, "/bin/sh", "-c", "cat /proc/self/cgroup; "
                   "mkdir /sys/fs/cgroup/sub 2>/dev/null && echo made || echo refused",
                   timeout=60)
    assert r.stdout.split("\n")[:2] == ["0::/", "refused"], (r.stdout, r.stderr)
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert_gone(top)


def test_no_delegation_without_a_cgroup_namespace(bundle, run_ocirun, unique_id, cg_path,
                                                  traversable_test_dir):
    """config-linux.md: never without a new cgroup namespace; the mount
    still shows the container's own cgroup (a bind, in a user namespace)."""
    userns_bundle(bundle, cg_path, ["nosuid", "noexec", "nodev", "rw"])
    bundle.remove_namespace("cgroup")
    start(run_ocirun, bundle, unique_id)
    top = cgdir(cg_path)
    assert owner(top) == (0, 0) and owner(top + "/cgroup.procs") == (0, 0)
    r = run_ocirun("exec", unique_id, "/bin/sh", "-c",
                   "cat /proc/self/cgroup /sys/fs/cgroup/pids.max", timeout=60)
    assert r.stdout.split("\n")[:2] == [f"0::{cg_path}", "100"], (r.stdout, r.stderr)
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert_gone(top)


def test_owner_is_process_user(bundle, run_ocirun, unique_id, cg_path, traversable_test_dir):
    """The spec's rule: the host uid process.user.uid maps to."""
    userns_bundle(bundle, cg_path, ["nosuid", "noexec", "nodev"])
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.write()
    start(run_ocirun, bundle, unique_id)
    top = cgdir(cg_path)
    assert owner(top) == (101000, 101000)
    assert owner(top + "/cgroup.procs") == (101000, 101000)
    r = run_ocirun("exec", "-u", "1000:1000", unique_id, "/bin/sh", "-c",
                   "mkdir /sys/fs/cgroup/u && echo $$ > /sys/fs/cgroup/u/cgroup.procs && "
                   "cat /proc/self/cgroup", timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0::/u", (r.stdout, r.stderr)
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert_gone(top)


# ---- 3. kill --all -----------------------------------------------------------------

# the init (pid 1 of its namespace, no handler) ignores SIGTERM from the
# host, its two children die of it (and busybox then execs the last sleep
# in the init's place)
TWO_CHILDREN = ["/bin/sh", "-c", "sleep 1001 & sleep 1002 & wait; sleep 1003"]


def test_kill_all_signals_every_process_and_thaws(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    start(run_ocirun, bundle, unique_id, TWO_CHILDREN)
    top = cgdir(cg_path)
    assert wait_for(lambda: len(all_pids(top)) == 3, 20), all_pids(top)
    init = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
    run_ocirun("kill", "--all", unique_id, "TERM", check=True)
    # the children died; the shell, woken, runs its third sleep
    assert wait_for(lambda: all_pids(top) == [init], 20), all_pids(top)
    assert read(top + "/cgroup.freeze") == "0", "frozen only while signalling"
    assert status(run_ocirun, unique_id) == "running"
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: status(run_ocirun, unique_id) == "stopped", 20)
    assert wait_for(lambda: all_pids(top) == [], 20)
    # runc 1.1: --all on a stopped container is no error, without it is
    r = run_ocirun("kill", "--all", unique_id, "KILL")
    assert r.returncode == 0, r.stderr
    r = run_ocirun("kill", unique_id, "KILL")
    assert r.returncode == 1 and "container not running" in r.stderr, r.stderr
    run_ocirun("delete", unique_id, check=True)
    assert_gone(top)


def test_kill_all_reaches_sub_cgroups_and_forks(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 64}})
    cgroup_mount(bundle, ["nosuid", "noexec", "nodev"])
    add_namespaces(bundle, "cgroup")
    # a process in a sub-cgroup that forks without pause
    start(run_ocirun, bundle, unique_id, ["/bin/sh", "-c",
          "mkdir /sys/fs/cgroup/f && sh -c 'echo $$ > /sys/fs/cgroup/f/cgroup.procs; "
          "while :; do sleep 100 & sleep 0.01; done' & exec sleep 1000"])
    top = cgdir(cg_path)
    assert wait_for(lambda: len(all_pids(top + "/f")) > 5, 30), all_pids(top)
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: all_pids(top) == [], 20), all_pids(top)
    assert status(run_ocirun, unique_id) == "stopped"
    run_ocirun("delete", unique_id, check=True, timeout=30)
    assert_gone(top)


def test_kill_all_created_container(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, args=SLEEPER)
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True, timeout=60)
    top = cgdir(cg_path)
    assert len(all_pids(top)) == 1
    run_ocirun("kill", "--all", unique_id, "KILL", check=True)
    assert wait_for(lambda: status(run_ocirun, unique_id) == "stopped", 20)
    run_ocirun("delete", unique_id, check=True)
    assert_gone(top)


def test_kill_all_paused_container(bundle, run_ocirun, unique_id, cg_path):
    """kill --all of a paused container leaves it paused, except SIGKILL,
    which kills it at once and leaves the cgroup thawed."""
    set_cgroup(bundle, cg_path)
    start(run_ocirun, bundle, unique_id, TWO_CHILDREN)
    top = cgdir(cg_path)
    assert wait_for(lambda: len(all_pids(top)) == 3, 20)
    init = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
    run_ocirun("pause", unique_id, check=True)
    run_ocirun("kill", "--all", unique_id, "TERM", check=True)
    # v2 lets a fatal signal through the freezer: the children die, the
    # init (TERM ignored) stays, and the container stays paused
    assert wait_for(lambda: all_pids(top) == [init], 20), all_pids(top)
    assert status(run_ocirun, unique_id) == "paused"
    assert read(top + "/cgroup.freeze") == "1"
    run_ocirun("kill", "--all", unique_id, "KILL", check=True, timeout=15)
    assert wait_for(lambda: status(run_ocirun, unique_id) == "stopped", 20)
    assert read(top + "/cgroup.freeze") == "0"
    run_ocirun("delete", unique_id, check=True, timeout=15)
    assert_gone(top)


# ---- 4. frozen cgroups -----------------------------------------------------------

@pytest.fixture
def frozen_parent(cg_path):
    parent = cgdir(cg_path)
    os.mkdir(parent)
    with open(parent + "/cgroup.freeze", "w") as f:
        f.write("1")
    yield parent
    with open(parent + "/cgroup.freeze", "w") as f:
        f.write("0")
    for sub in sorted((d for d, _, _ in os.walk(parent)), reverse=True):
        os.rmdir(sub)


def test_create_refuses_a_frozen_cgroup(bundle, run_ocirun, unique_id, cg_path, frozen_parent,
                                        tmp_root):
    set_cgroup(bundle, cg_path + "/leaf", args=SLEEPER)
    t0 = time.monotonic()
    r = run_ocirun("create", "--bundle", bundle.path, unique_id, timeout=30)
    assert r.returncode == 1 and "is frozen" in r.stderr and "/leaf" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 15, "refused at once, not after a timeout"
    assert_gone(frozen_parent + "/leaf")
    assert os.listdir(tmp_root) == []
    # an existing leaf that is frozen itself
    os.mkdir(frozen_parent + "/own")
    with open(frozen_parent + "/cgroup.freeze", "w") as f:
        f.write("0")
    with open(frozen_parent + "/own/cgroup.freeze", "w") as f:
        f.write("1")
    set_cgroup(bundle, cg_path + "/own")
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=30)
    assert r.returncode == 1 and "is frozen" in r.stderr, r.stderr
    assert os.path.isdir(frozen_parent + "/own"), "a leaf that existed is not removed"
    assert os.listdir(tmp_root) == []


def test_delete_paused_container(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    add_namespaces(bundle, "cgroup")
    cgroup_mount(bundle, ["nosuid", "noexec", "nodev"])
    # nested sub-cgroups, one of them frozen by the container itself
    start(run_ocirun, bundle, unique_id, ["/bin/sh", "-c",
          "mkdir -p /sys/fs/cgroup/a/b && "
          "sh -c 'echo $$ > /sys/fs/cgroup/a/b/cgroup.procs; exec sleep 1000' & "
          "sleep 0.5; echo 1 > /sys/fs/cgroup/a/cgroup.freeze; exec sleep 1000"])
    top = cgdir(cg_path)
    assert wait_for(lambda: read_or_none(top + "/a/cgroup.freeze") == "1" and
                    len(all_pids(top)) == 2, 20), all_pids(top)
    run_ocirun("pause", unique_id, check=True)
    r = run_ocirun("delete", unique_id)
    assert r.returncode == 1 and "not stopped" in r.stderr and "paused" in r.stderr, r.stderr
    t0 = time.monotonic()
    r = run_ocirun("delete", "--force", unique_id, timeout=30)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 20
    assert_gone(top)
    assert run_ocirun("state", unique_id).returncode == 1


# ---- 5. exec --cgroup ----------------------------------------------------------------

def test_exec_cgroup_sub_cgroups(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 100}})
    add_namespaces(bundle, "cgroup")
    start(run_ocirun, bundle, unique_id)
    top = cgdir(cg_path)
    init = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
    os.makedirs(top + "/sub/deeper")
    r = run_ocirun("exec", "--cgroup", "sub", unique_id, "cat", "/proc/self/cgroup", timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0::/sub", (r.stdout, r.stderr)
    r = run_ocirun("exec", "--cgroup", "sub/deeper", unique_id, "cat", "/proc/self/cgroup",
                   timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0::/sub/deeper", (r.stdout, r.stderr)
    for bad, words in (("../escape", "invalid path component"),
                       ("sub/../../x", "invalid path component"),
                       ("/abs", "must be relative"),
                       ("nosuch", "does not exist"),
                       ("pids:sub", "no cgroup v1 hierarchy")):
        r = run_ocirun("exec", "--cgroup", bad, unique_id, "true", timeout=60)
        assert r.returncode == 1 and words in r.stderr, (bad, r.stderr)
    # a cgroup with controllers for its children cannot hold processes (to
    # enable one in sub, the container's cgroup must hand it down, which it
    # can only do once its init sits in a sub-cgroup too)
    os.mkdir(top + "/init")
    for path, value in (("/init/cgroup.procs", str(init)), ("/cgroup.subtree_control", "+pids"),
                        ("/sub/cgroup.subtree_control", "+pids")):
        with open(top + path, "w") as f:
            f.write(value)
    r = run_ocirun("exec", "--cgroup", "sub", unique_id, "true", timeout=60)
    assert r.returncode == 1 and "cgroup.subtree_control" in r.stderr, r.stderr
    # a domain below a threaded cgroup is "domain invalid"
    os.makedirs(top + "/thr/t")
    with open(top + "/thr/t/cgroup.type", "w") as f:
        f.write("threaded")
    os.mkdir(top + "/thr/t/x")
    assert read(top + "/thr/t/x/cgroup.type") == "domain invalid"
    r = run_ocirun("exec", "--cgroup", "thr/t/x", unique_id, "true", timeout=60)
    assert r.returncode == 1 and "domain invalid" in r.stderr, r.stderr
    assert all_pids(top) == [init]
    # delete removes the sub-cgroups made from outside too
    run_ocirun("delete", "--force", unique_id, check=True, timeout=30)
    assert_gone(top)
