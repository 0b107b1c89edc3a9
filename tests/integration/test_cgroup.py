"""Cgroups for the lifecycle (issue #3): placement at linux.cgroupsPath in
every hierarchy, the limits ocirun applies (memory, pids, cpu, cpuset,
devices), refusal of the ones it cannot apply, and teardown.

This host is hybrid (v1 controllers under /sys/fs/cgroup/NAME, cgroup2 on
/sys/fs/cgroup/unified). The unified code path is exercised by running
ocirun inside `unshare -m` with cgroup2 mounted on /sys/fs/cgroup (the trick
crun needs here); there only the controllers the host left to cgroup2 exist,
so those tests assert what cgroup.controllers really offers.

Every test uses an absolute cgroupsPath named after the test's id prefix
(`/ocirun-test-<prefix>...`), so the leak guard sees it and nothing lands in
the session's own cgroups.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

CGROUP_ROOT = "/sys/fs/cgroup"
UNIFIED = "/sys/fs/cgroup/unified"


def host_hierarchies():
    """{mountpoint: controllers} of the host's cgroup mounts under /sys/fs/cgroup
    ("" for cgroup2), as ocirun sees them."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, sfields = pre.split(), post.split()
            fstype, mp = sfields[0], fields[4]
            if fstype not in ("cgroup", "cgroup2") or not mp.startswith(CGROUP_ROOT):
                continue
            if fstype == "cgroup2":
                found[mp] = ""
            else:
                opts = [o for o in sfields[2].split(",")
                        if o not in ("rw", "ro", "xattr", "noprefix", "clone_children")
                        and ("=" not in o or o.startswith("name="))]
                found[mp] = ",".join(opts)
    return found


def is_hybrid():
    return not os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")) and \
        os.path.isdir(UNIFIED)


def hierarchy(controller):
    for mp, ctrls in host_hierarchies().items():
        if controller in ctrls.split(","):
            return mp
    return None


def existing_dirs(path):
    """The directories of cgroup `path` that exist, over all hierarchies."""
    return [mp + path for mp in host_hierarchies() if os.path.isdir(mp + path)]


@pytest.fixture
def cg_path(unique_id):
    return f"/ocirun-test-{unique_id}"


@pytest.fixture
def hybrid_only():
    if not is_hybrid():
        pytest.skip("needs a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified)")


def set_cgroup(bundle, path, resources=None, keep_devices=True):
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = path
    res = {}
    if keep_devices:
        res["devices"] = linux.get("resources", {}).get("devices",
                                                        [{"allow": False, "access": "rwm"}])
    res.update(resources or {})
    linux["resources"] = res
    bundle.write()


def read(path):
    return Path(path).read_text().strip()


# ---- placement -----------------------------------------------------------


def test_container_is_in_every_hierarchy(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path + "/c")
    bundle.set_args(["/bin/cat", "/proc/self/cgroup"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    want = host_hierarchies()
    assert len(lines) >= len(want), r.stdout
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        assert path == cg_path + "/c", f"hierarchy `{ctrls}` shows {path}"
    # every mounted hierarchy, the named and unified ones included
    seen = {l.split(":", 2)[1] for l in lines}
    assert "name=systemd" in seen and "" in seen and "memory" in seen
    assert existing_dirs(cg_path) == [], "run removes the leaf and the parent it made"


def test_delete_removes_every_directory(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path + "/a/b")
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    state = json.loads(run_ocirun("state", unique_id, check=True).stdout)
    dirs = existing_dirs(cg_path + "/a/b")
    assert len(dirs) == len(host_hierarchies()), dirs
    for d in dirs:
        assert str(state["pid"]) in read(d + "/cgroup.procs").split(), d
    run_ocirun("delete", unique_id, check=True)
    assert existing_dirs(cg_path) == [], "the leaf and the parents ocirun made are gone"


def test_existing_parent_is_kept(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    """Only what ocirun made is removed: a parent that existed stays."""
    made = []
    try:
        for mp in host_hierarchies():
            os.mkdir(mp + cg_path)
            made.append(mp + cg_path)
        set_cgroup(bundle, cg_path + "/leaf")
        r = run_ocirun("run", "--bundle", bundle.path, unique_id, check=True)
        assert r.returncode == 0
        assert sorted(existing_dirs(cg_path)) == sorted(made)
        assert existing_dirs(cg_path + "/leaf") == []
    finally:
        for d in made:
            os.rmdir(d)


def test_leaf_with_foreign_processes_is_refused(hybrid_only, bundle, run_ocirun, unique_id,
                                                cg_path):
    """Joining a populated cgroup would let delete kill strangers."""
    d = hierarchy("pids") + cg_path
    os.mkdir(d)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        Path(d, "cgroup.procs").write_text(str(sleeper.pid))
        set_cgroup(bundle, cg_path)
        r = run_ocirun("run", "--bundle", bundle.path, unique_id)
        assert r.returncode != 0
        assert "already has processes" in r.stderr
        assert sleeper.poll() is None, "the foreign process is untouched"
    finally:
        sleeper.kill()
        sleeper.wait()
        for _ in range(100):
            try:
                os.rmdir(d)
                break
            except OSError:
                time.sleep(0.02)
    assert existing_dirs(cg_path) == []


@pytest.mark.parametrize("path, words", [
    ("/../../etc", "escapes the cgroup hierarchy root"),
    ("/a/../../b", "escapes the cgroup hierarchy root"),
    ("../up", "escapes the caller's cgroup"),
    ("/", "root cgroup"),
    ("system.slice:ocirun:x", "systemd cgroup manager"),
    ("/a\nb", "control characters"),
])
def test_bad_cgroups_path_refused(bundle, run_ocirun, unique_id, path, words):
    set_cgroup(bundle, path)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert words in r.stderr, r.stderr
    assert run_ocirun("list", "-q").stdout.strip() == ""


# ---- limits on v1 ----------------------------------------------------------


def test_v1_limits_written(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {
        "memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 128 << 20},
        "pids": {"limit": 42},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
    })
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    mem, pids = hierarchy("memory") + cg_path, hierarchy("pids") + cg_path
    cpu, cpuset = hierarchy("cpu") + cg_path, hierarchy("cpuset") + cg_path
    assert read(mem + "/memory.limit_in_bytes") == str(64 << 20)
    assert read(mem + "/memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(mem + "/memory.memsw.limit_in_bytes") == str(128 << 20)
    assert read(pids + "/pids.max") == "42"
    assert read(cpu + "/cpu.shares") == "512"
    assert read(cpu + "/cpu.cfs_quota_us") == "50000"
    assert read(cpu + "/cpu.cfs_period_us") == "100000"
    assert read(cpuset + "/cpuset.cpus") == "0"
    run_ocirun("delete", unique_id, check=True)
    assert existing_dirs(cg_path) == []


def test_pids_limit_enforced(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"pids": {"limit": 5}})
    bundle.set_args(["/bin/ocitest", "fork-sleep", "20", "1"])
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0 or "Resource temporarily unavailable" in r.stdout + r.stderr, \
        r.stdout + r.stderr


def test_bad_limit_value_leaves_nothing(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path + "/x", {"cpu": {"cpus": "4095"}})
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert "linux.resources.cpu" in r.stderr and "cpuset.cpus" in r.stderr, r.stderr
    assert existing_dirs(cg_path) == []
    assert run_ocirun("list", "-q").stdout.strip() == ""


# ---- devices ---------------------------------------------------------------

BLOCK_PROBE = ("head -c1 /dev/xblk >/dev/null; echo blk=$?; "
               "echo x >/dev/null && echo null=ok; head -c1 /dev/zero >/dev/null && echo zero=ok")


def add_block_device(bundle):
    """A loop device node (b 7:0) in the container: linux.devices makes the node,
    the cgroup decides whether it can be opened."""
    bundle.config["linux"]["devices"] = [{"path": "/dev/xblk", "type": "b", "major": 7,
                                          "minor": 0, "fileMode": 0o600, "uid": 0, "gid": 0}]
    bundle.set_args(["/bin/sh", "-c", BLOCK_PROBE])


def test_device_deny_all_v1(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    add_block_device(bundle)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    out = r.stdout + r.stderr
    assert "Operation not permitted" in out and "blk=1" in out, out
    assert "null=ok" in out and "zero=ok" in out, out


def test_device_allowed_by_rule_v1(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"})
    add_block_device(bundle)
    r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    out = r.stdout + r.stderr
    assert "Operation not permitted" not in out, out
    assert "null=ok" in out, out


def test_v1_device_list_matches_runc(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    """runc 1.1.5 writes deny-all, then its default allowed devices."""
    set_cgroup(bundle, cg_path)
    run_ocirun("create", "--bundle", bundle.path, unique_id, check=True)
    got = read(hierarchy("devices") + cg_path + "/devices.list").splitlines()
    run_ocirun("delete", unique_id, check=True)
    assert sorted(got) == sorted([
        "b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
        "c 5:0 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm"])


# ---- refusals --------------------------------------------------------------


@pytest.mark.parametrize("resources, field", [
    # the v1 fields are applied on this host since #7 (test_v1_resources.py);
    # what is left here cannot be: a bad value or a controller the host lacks
    ({"blockIO": {"weight": 5}}, "linux.resources.blockIO.weight"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness"),
    ({"network": {"classID": 1}}, "linux.resources.network"),
    ({"rdma": {"mlx5_0": {"hcaHandles": 1}}}, "linux.resources.rdma"),
    ({"unified": {"memory.high": "1000000"}}, "linux.resources.unified"),
    ({"memory": {"limit": 1 << 20, "swap": 1 << 19}}, "linux.resources.memory.swap"),
    ({"devices": [{"allow": True, "type": "x", "access": "rwm"}]},
     "linux.resources.devices[0].type"),
])
def test_unsupported_resource_refused(bundle, run_ocirun, unique_id, cg_path, resources, field):
    set_cgroup(bundle, cg_path, resources)
    r = run_ocirun("create", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert field in r.stderr, r.stderr
    assert existing_dirs(cg_path) == [], "refused before any cgroup is made"
    assert run_ocirun("list", "-q").stdout.strip() == ""


def test_disabled_manager_makes_no_cgroup(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    bundle.set_args(["/bin/cat", "/proc/self/cgroup"])
    r = run_ocirun("--cgroup-manager", "disabled", "run", "--bundle", bundle.path, unique_id,
                   check=True)
    assert cg_path not in r.stdout
    assert existing_dirs(cg_path) == []


def test_disabled_manager_refuses_limits(bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path, {"memory": {"limit": 64 << 20}})
    r = run_ocirun("--cgroup-manager", "disabled", "run", "--bundle", bundle.path, unique_id)
    assert r.returncode != 0
    assert "linux.resources.memory.limit" in r.stderr and "disabled" in r.stderr, r.stderr


# ---- teardown --------------------------------------------------------------


def test_delete_force_kills_every_process(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    set_cgroup(bundle, cg_path)
    bundle.set_args(["/bin/ocitest", "fork-sleep", "3", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    procs_file = hierarchy("pids") + cg_path + "/cgroup.procs"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(read(procs_file).split()) < 4:
        time.sleep(0.05)
    pids = [int(p) for p in read(procs_file).split()]
    assert len(pids) >= 4, pids
    run_ocirun("delete", "--force", unique_id, check=True)
    for p in pids:
        assert not os.path.exists(f"/proc/{p}") or \
            Path(f"/proc/{p}/stat").read_text().split(")")[1].split()[0] == "Z", p
    assert existing_dirs(cg_path) == []


def test_frozen_container_is_deleted(hybrid_only, bundle, run_ocirun, unique_id, cg_path):
    """A frozen (v1 freezer) container is thawed so the kill can land."""
    set_cgroup(bundle, cg_path)
    bundle.set_args(["/bin/sleep", "600"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    freezer = hierarchy("freezer") + cg_path
    Path(freezer, "freezer.state").write_text("FROZEN")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and read(freezer + "/freezer.state") != "FROZEN":
        time.sleep(0.02)
    run_ocirun("delete", "--force", unique_id, check=True, timeout=20)
    assert existing_dirs(cg_path) == []


# ---- the unified (v2) code path, inside unshare -m ---------------------------


def v2_available():
    return os.path.isdir(UNIFIED) or os.path.exists(CGROUP_ROOT + "/cgroup.controllers")


def v2_controllers():
    base = UNIFIED if is_hybrid() else CGROUP_ROOT
    return read(base + "/cgroup.controllers").split()


def v2_host_dir(path):
    return (UNIFIED if is_hybrid() else CGROUP_ROOT) + path


def run_v2(ocirun, root, *args, prelude="", timeout=60):
    """ocirun ARGS in a new mount namespace whose /sys/fs/cgroup is cgroup2.
    Output goes through files: a detached container keeps a pipe open."""
    script = ("mount -t cgroup2 none /sys/fs/cgroup || exit 99\n" + prelude +
              'exec "$@"\n')
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                            "sh", str(ocirun), "--root", str(root), *map(str, args)],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True,
                           timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read())


def v2_bundle(bundle, path, resources=None):
    set_cgroup(bundle, path, resources)
    # The bundle's /sys/fs/cgroup mount is the rootfs code's business; this file
    # tests placement and limits, so keep the container's mount table simple.
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m.get("type") not in ("cgroup", "cgroup2")]
    bundle.write()


@pytest.fixture
def need_v2():
    if not v2_available():
        pytest.skip("no cgroup2 hierarchy on this host")


def test_v2_placement(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path):
    v2_bundle(bundle, cg_path + "/c")
    bundle.set_args(["/bin/cat", "/proc/self/cgroup"])
    r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    assert f"0::{cg_path}/c" in r.stdout.splitlines(), r.stdout
    assert not os.path.exists(v2_host_dir(cg_path)), "leaf and parent removed"


def test_v2_relative_path_and_default(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path):
    """runc 1.1.5 on a unified host: a relative cgroupsPath is relative to the
    PARENT of the caller's cgroup. Without cgroupsPath ocirun uses "/<id>"
    (crun's choice; runc's relative "<id>" would land in the caller's own
    supervisor's cgroup)."""
    prelude = (f"mkdir -p /sys/fs/cgroup{cg_path}/runner && "
               f"echo $$ > /sys/fs/cgroup{cg_path}/runner/cgroup.procs || exit 98\n")
    try:
        v2_bundle(bundle, "rel")
        bundle.set_args(["/bin/cat", "/proc/self/cgroup"])
        r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id, prelude=prelude)
        assert r.returncode == 0, r.stderr
        assert f"0::{cg_path}/rel" in r.stdout.splitlines(), r.stdout

        del bundle.config["linux"]["cgroupsPath"]
        bundle.write()
        r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id + "-d",
                   prelude=prelude)
        assert r.returncode == 0, r.stderr
        assert f"0::/{unique_id}-d" in r.stdout.splitlines(), r.stdout
    finally:
        for d in (cg_path + "/runner", cg_path):
            for _ in range(100):
                try:
                    os.rmdir(v2_host_dir(d))
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def test_v2_device_filter(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path):
    """The eBPF device program: deny-all plus runc's defaults."""
    v2_bundle(bundle, cg_path)
    add_block_device(bundle)
    r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id)
    out = r.stdout + r.stderr
    assert "Operation not permitted" in out and "blk=1" in out, out
    assert "null=ok" in out and "zero=ok" in out, out


def test_v2_device_filter_allow_rule(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path):
    v2_bundle(bundle, cg_path)
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"})
    add_block_device(bundle)
    r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id)
    out = r.stdout + r.stderr
    assert "Operation not permitted" not in out, out
    assert "null=ok" in out, out


@pytest.mark.parametrize("controller, resources, files", [
    ("pids", {"pids": {"limit": 42}}, {"pids.max": "42"}),
    ("memory", {"memory": {"limit": 64 << 20}}, {"memory.max": str(64 << 20)}),
    ("cpu", {"cpu": {"shares": 1024, "quota": 50000, "period": 100000}},
     {"cpu.weight": "39", "cpu.max": "50000 100000"}),
])
def test_v2_limits_real_or_refused(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path,
                                   controller, resources, files):
    """Applied when cgroup2 has the controller; otherwise a clear refusal that
    names the field and leaves nothing (on this hybrid host the controllers
    are bound to v1)."""
    v2_bundle(bundle, cg_path, resources)
    r = run_v2(ocirun, tmp_root, "create", "--bundle", bundle.path, unique_id)
    try:
        if controller in v2_controllers():
            assert r.returncode == 0, r.stderr
            for f, want in files.items():
                assert read(v2_host_dir(cg_path) + "/" + f) == want
        else:
            assert r.returncode != 0
            assert f"the {controller} cgroup controller is not available" in r.stderr, r.stderr
            assert "linux.resources." in r.stderr
            assert not os.path.exists(v2_host_dir(cg_path))
    finally:
        if r.returncode == 0:
            d = run_v2(ocirun, tmp_root, "delete", "--force", unique_id)
            assert d.returncode == 0, d.stderr
    assert not os.path.exists(v2_host_dir(cg_path))


def test_v2_delete_force_kills_all(need_v2, ocirun, tmp_root, bundle, unique_id, cg_path):
    v2_bundle(bundle, cg_path)
    bundle.set_args(["/bin/ocitest", "fork-sleep", "3", "600"])
    r = run_v2(ocirun, tmp_root, "run", "-d", "--bundle", bundle.path, unique_id)
    assert r.returncode == 0, r.stderr
    procs = v2_host_dir(cg_path) + "/cgroup.procs"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(read(procs).split()) < 4:
        time.sleep(0.05)
    assert len(read(procs).split()) >= 4
    d = run_v2(ocirun, tmp_root, "delete", "--force", unique_id)
    assert d.returncode == 0, d.stderr
    assert not os.path.exists(v2_host_dir(cg_path))


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_last_matching_device_rule_wins(need_v2, ocirun, tmp_root, bundle, run_ocirun,
                                        unique_id, cg_path, v2):
    """allow b 7:0 then deny b 7:0 w: reading works, writing is refused (v1
    semantics, reproduced by the eBPF program on v2)."""
    if not v2 and not is_hybrid():
        pytest.skip("the v1 half needs a hybrid host")
    (v2_bundle if v2 else set_cgroup)(bundle, cg_path)
    bundle.config["linux"]["resources"]["devices"] += [
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "rw"},
        {"allow": False, "type": "b", "major": 7, "minor": 0, "access": "w"},
    ]
    add_block_device(bundle)
    bundle.set_args(["/bin/sh", "-c", "head -c1 /dev/xblk >/dev/null && echo read=ok; "
                     "echo x 2>&1 >/dev/xblk | grep -q 'not permitted' && echo write=denied"])
    if v2:
        r = run_v2(ocirun, tmp_root, "run", "--bundle", bundle.path, unique_id)
    else:
        r = run_ocirun("run", "--bundle", bundle.path, unique_id)
    out = r.stdout + r.stderr
    assert "read=ok" in out and "write=denied" in out, out
