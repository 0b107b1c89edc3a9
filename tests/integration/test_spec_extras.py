"""The rest of runtime-spec v1.3.0 (issue #13 part 1): linux.netDevices,
linux.memoryPolicy, process.execCPUAffinity, linux.intelRdt,
linux.personality, process.ioPriority, process.scheduler and
--pidfd-socket on create, run and exec.

netDevices tests make their own dummy interfaces on the host (named after
the test, so two runs never collide) and always remove them; the devices go
into network namespaces the containers create, nothing else on the host
changes."""

import array
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

pytestmark = pytest.mark.root


# ---- helpers ------------------------------------------------------------------

def host_link_exists(name):
    return os.path.exists(f"/sys/class/net/{name}")


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=20)


@pytest.fixture
def dummy():
    """make(addrs=()) -> a fresh veth interface on the host (up, with the
    given addresses; its peer NAME + "p" stays on the host). A veth, not a
    dummy: kernels without CONFIG_DUMMY are common in CI VMs. Every pair
    made is deleted at teardown, wherever the test left it."""
    made = []

    def make(addrs=()):
        name = "od" + secrets.token_hex(4)  # 10 bytes, peer 11: fits IFNAMSIZ
        ip("link", "add", name, "type", "veth", "peer", "name", name + "p")
        made.append(name)
        ip("link", "set", name, "up")
        for a in addrs:
            extra = ["nodad"] if ":" in a else []
            ip("addr", "add", a, "dev", name, *extra)
        return name

    yield make
    for name in made:
        for n in (name, name + "p"):
            if host_link_exists(n):
                ip("link", "del", n, check=False)


def wait_host_link_gone(name, timeout=10):
    """The kernel frees a network namespace (and destroys its virtual
    devices) asynchronously after its last process is gone."""
    deadline = time.monotonic() + timeout
    while host_link_exists(name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def run_out(run_ocirun, bundle, cid, args, check=True):
    bundle.set_args(args)
    r = run_ocirun("run", "--bundle", bundle.path, cid)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def addr_lines(text):
    """`ip -o addr` lines as (ifname, family, address/prefix)."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] in ("inet", "inet6"):
            out.append((f[1].rstrip(":"), f[2], f[3]))
    return out


def assert_nothing_left(root):
    assert not os.path.exists(root) or os.listdir(root) == []


# ---- linux.netDevices -----------------------------------------------------------

SHOW = ["/bin/sh", "-c", "ip -o link show; echo ---; ip -o addr show"]


def test_netdev_moved_renamed_with_addresses(bundle, run_ocirun, unique_id, dummy):
    name = dummy(["10.213.7.2/24", "fd42:13::2/64"])
    bundle.config["linux"]["netDevices"] = {name: {"name": "ctr0"}}
    r = run_out(run_ocirun, bundle, unique_id, SHOW)
    links, addrs = r.stdout.split("---")
    assert re.search(r"^\d+: ctr0(@\S+)?: <[^>]*\bUP\b", links, re.M), links
    got = addr_lines(addrs)
    assert ("ctr0", "inet", "10.213.7.2/24") in got, addrs
    assert ("ctr0", "inet6", "fd42:13::2/64") in got, addrs
    assert name not in links
    # the container (and its network namespace) is gone: a virtual device
    # dies with it (and a veth takes its host peer along); nothing is moved
    # back (config-linux.md: MUST NOT)
    assert wait_host_link_gone(name), f"{name} is back on the host"
    assert wait_host_link_gone(name + "p"), f"the peer {name}p outlived the container"


def test_netdev_keeps_its_name_and_only_global_permanent_addresses(bundle, run_ocirun,
                                                                   unique_id, dummy):
    name = dummy(["10.213.8.2/24"])
    ip("addr", "add", "10.213.9.2/24", "dev", name, "scope", "link")
    bundle.config["linux"]["netDevices"] = {name: {}}
    r = run_out(run_ocirun, bundle, unique_id, SHOW)
    got = addr_lines(r.stdout.split("---")[1])
    assert (name, "inet", "10.213.8.2/24") in got, r.stdout
    assert not any(a[2].startswith("10.213.9.") for a in got), r.stdout


def test_netdev_name_template(bundle, run_ocirun, unique_id, dummy):
    name = dummy()
    bundle.config["linux"]["netDevices"] = {name: {"name": "xeth%d"}}
    r = run_out(run_ocirun, bundle, unique_id, SHOW)
    assert re.search(r"^\d+: xeth0(@\S+)?: ", r.stdout, re.M), r.stdout


def test_netdev_visible_to_exec_and_gone_after_delete(bundle, run_ocirun, unique_id, dummy):
    name = dummy(["10.213.10.2/24"])
    bundle.config["linux"]["netDevices"] = {name: {"name": "in0"}}
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        assert not host_link_exists(name)
        r = run_ocirun("exec", unique_id, "ip", "-o", "addr", "show", "dev", "in0", check=True)
        assert "10.213.10.2/24" in r.stdout
    finally:
        run_ocirun("delete", "--force", unique_id)
    assert wait_host_link_gone(name)


def test_netdev_existing_name_in_container_fails_cleanly(bundle, run_ocirun, unique_id,
                                                        dummy, tmp_root):
    name = dummy(["10.213.11.2/24"])
    bundle.config["linux"]["netDevices"] = {name: {"name": "lo"}}
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0
    assert "already exists in the container's network namespace" in r.stderr, r.stderr
    # the failed move left the device where it was, addresses and all
    assert host_link_exists(name)
    assert "10.213.11.2/24" in ip("-o", "addr", "show", "dev", name).stdout
    assert_nothing_left(tmp_root)


def test_netdev_missing_host_device(bundle, run_ocirun, unique_id, tmp_root):
    bundle.config["linux"]["netDevices"] = {"odnosuchdev0": {}}
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0
    assert "host device `odnosuchdev0`" in r.stderr and "No such device" in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


@pytest.mark.parametrize("devices,want", [
    ({"a/b": {}}, "contains `/`"),
    ({"..": {}}, "`.` and `..`"),
    ({"abcdefghijklmnop": {}}, "longer than 15 bytes"),
    ({"od0": {"name": "x y"}}, "whitespace"),
    ({"od0": {"name": "a%d%d"}}, "only one `%d`"),
    ({"od0": {"name": "c0"}, "od1": {"name": "c0"}}, "would both be named `c0`"),
])
def test_netdev_bad_names(bundle, run_ocirun, unique_id, tmp_root, devices, want):
    bundle.config["linux"]["netDevices"] = devices
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and want in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


def test_netdev_needs_a_network_namespace(bundle, run_ocirun, unique_id, dummy, tmp_root):
    name = dummy()
    bundle.remove_namespace("network")
    bundle.config["linux"]["netDevices"] = {name: {}}
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and "needs a network namespace" in r.stderr, r.stderr
    assert host_link_exists(name)
    assert_nothing_left(tmp_root)


def test_netdev_into_a_joined_network_namespace(bundle, run_ocirun, unique_id, dummy):
    """A namespace joined by path is the owner's: the device stays there
    after the container is deleted."""
    name = dummy(["10.213.12.2/24"])
    netns = "ocirun-" + unique_id
    ip("netns", "add", netns)
    try:
        for ns in bundle.config["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = f"/run/netns/{netns}"
        bundle.config["linux"]["netDevices"] = {name: {"name": "j0"}}
        r = run_out(run_ocirun, bundle, unique_id, ["ip", "-o", "addr", "show", "dev", "j0"])
        assert "10.213.12.2/24" in r.stdout, r.stdout
        r = ip("-n", netns, "-o", "addr", "show", "dev", "j0")
        assert "10.213.12.2/24" in r.stdout
        assert not host_link_exists(name)
    finally:
        ip("netns", "del", netns, check=False)
    assert wait_host_link_gone(name + "p")


def test_netdev_refuses_the_runtime_network_namespace(bundle, run_ocirun, unique_id, dummy,
                                                      tmp_root):
    name = dummy()
    for ns in bundle.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = "/proc/self/ns/net"  # opened by ocirun: its own
    bundle.config["linux"]["netDevices"] = {name: {}}
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and "shares the runtime's network namespace" in r.stderr, r.stderr
    assert host_link_exists(name)
    assert_nothing_left(tmp_root)


# ---- linux.memoryPolicy -------------------------------------------------------------

def numa_policy(text):
    """The policy word of the first /proc/self/numa_maps line (the task's
    policy when the mapping has none of its own)."""
    return text.splitlines()[0].split()[1]


@pytest.mark.skipif(not os.path.exists("/proc/self/numa_maps"),
                    reason="the kernel has no CONFIG_NUMA (/proc/self/numa_maps missing)")
@pytest.mark.parametrize("policy,want", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0"}, "interleave:0"),
    ({"mode": "MPOL_PREFERRED", "nodes": "0"}, "prefer:0"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}, "bind=static:0"),
    ({"mode": "MPOL_LOCAL"}, "local"),
])
def test_memory_policy_applied(bundle, run_ocirun, unique_id, policy, want):
    bundle.config["linux"]["memoryPolicy"] = policy
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        with open(f"/proc/{pid}/numa_maps") as f:
            assert numa_policy(f.read()) == want
        # an exec'd process gets it too
        r = run_ocirun("exec", unique_id, "cat", "/proc/self/numa_maps", check=True)
        assert numa_policy(r.stdout) == want
    finally:
        run_ocirun("delete", "--force", unique_id)


@pytest.mark.parametrize("policy,want", [
    ({"mode": "MPOL_DEFAULT", "nodes": "0"}, "takes no nodes"),
    ({"mode": "MPOL_BIND"}, "needs at least one node"),
    ({"mode": "MPOL_BIND", "nodes": "0-"}, "nodes `0-`: expected a number"),
    ({"mode": "MPOL_BIND", "nodes": "3-1"}, "range end below its start"),
    ({"mode": "MPOL_BIND", "nodes": "1000"}, "node 1000 is not online"),
    ({"mode": "MPOL_BIND", "nodes": "0",
      "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}, "exclude each other"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]},
     "MPOL_F_NUMA_BALANCING needs mode"),
])
def test_memory_policy_refused(bundle, run_ocirun, unique_id, tmp_root, policy, want):
    bundle.config["linux"]["memoryPolicy"] = policy
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and want in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


# ---- process.execCPUAffinity ------------------------------------------------------

def cpus_allowed(status_text):
    return re.search(r"^Cpus_allowed_list:\s*(\S+)", status_text, re.M).group(1)


needs_two_cpus = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0),
    reason="needs CPUs 0 and 1 in this process's affinity")


@needs_two_cpus
def test_exec_cpu_affinity_final_applies_to_exec_not_init(bundle, run_ocirun, unique_id):
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0", "final": "1"}
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        with open(f"/proc/{pid}/status") as f:
            init_cpus = cpus_allowed(f.read())
        # config.md: "not applicable to the container's init process"
        assert init_cpus != "1"
        r = run_ocirun("exec", unique_id, "cat", "/proc/self/status", check=True)
        assert cpus_allowed(r.stdout) == "1"
        # --process with its own execCPUAffinity
        proc = dict(bundle.config["process"], args=["cat", "/proc/self/status"],
                    execCPUAffinity={"final": "0"})
        path = bundle.path / "process.json"
        path.write_text(json.dumps(proc))
        r = run_ocirun("exec", "--process", str(path), unique_id, check=True)
        assert cpus_allowed(r.stdout) == "0"
    finally:
        run_ocirun("delete", "--force", unique_id)


@needs_two_cpus
def test_exec_cpu_affinity_initial_only(bundle, run_ocirun, unique_id):
    """Without final the kernel decides after the cgroup move (config.md):
    a cgroup v1 cpuset resets the affinity to its cpus when the process
    joins, no cpuset keeps the initial one."""
    bundle.config["process"]["execCPUAffinity"] = {"initial": "1"}
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        with open(f"/proc/{pid}/status") as f:
            init_cpus = cpus_allowed(f.read())
        r = run_ocirun("exec", unique_id, "cat", "/proc/self/status", check=True)
        assert cpus_allowed(r.stdout) in ("1", init_cpus)
    finally:
        run_ocirun("delete", "--force", unique_id)


@pytest.mark.parametrize("aff,want", [
    ({"initial": "1,,2"}, "execCPUAffinity.initial `1,,2`: expected a number"),
    ({"initial": "0-x"}, "must match"),  # libocispec's schema check
    ({"final": "3-1"}, "execCPUAffinity.final `3-1`: range end below its start"),
    ({"final": "99999"}, "id out of range"),
])
def test_exec_cpu_affinity_refused_at_create(bundle, run_ocirun, unique_id, tmp_root, aff, want):
    bundle.config["process"]["execCPUAffinity"] = aff
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and want in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


def test_exec_cpu_affinity_unusable_cpu_fails_exec(bundle, run_ocirun, unique_id):
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        proc = dict(bundle.config["process"], args=["true"], execCPUAffinity={"final": "4000"})
        path = bundle.path / "process.json"
        path.write_text(json.dumps(proc))
        r = run_ocirun("exec", "--process", str(path), unique_id)
        assert r.returncode != 0
        assert "no CPU of the list is online and allowed" in r.stderr, r.stderr
    finally:
        run_ocirun("delete", "--force", unique_id)


# ---- linux.intelRdt -------------------------------------------------------------------

def resctrl_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if line.split(" - ")[1].split()[0] == "resctrl":
                return line.split()[4]
    return None


def test_intel_rdt_without_resctrl_is_an_error(bundle, run_ocirun, unique_id, tmp_root):
    if resctrl_mount() is not None:
        pytest.skip("resctrl is mounted here: the error path needs a host without it")
    bundle.config["linux"]["intelRdt"] = {"closID": "guaranteed_group",
                                          "schemata": ["L3:0=7f0"]}
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and "no resctrl filesystem is mounted" in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


@pytest.mark.parametrize("rdt,want", [
    ({"closID": "a/b"}, "must be a directory name"),
    ({"closID": ".."}, "must be a directory name"),
    ({"memBwSchema": "L3:0=1"}, "must match ^MB:"),  # libocispec's schema check
    ({"l3CacheSchema": "L3:0=1\nMB:0=2"}, "must not contain a newline"),
    ({"schemata": ["L3:0=1\nMB:0=2"]}, "must not contain a newline"),
])
def test_intel_rdt_bad_config(bundle, run_ocirun, unique_id, tmp_root, rdt, want):
    bundle.config["linux"]["intelRdt"] = rdt
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and want in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


def test_intel_rdt_group(bundle, run_ocirun, unique_id):
    mnt = resctrl_mount()
    if mnt is None:
        pytest.skip("no resctrl filesystem is mounted on this host (the kernel has "
                    + ("resctrl but it is not mounted" if "resctrl" in
                       open("/proc/filesystems").read() else "no resctrl support")
                    + "): the positive intelRdt path cannot run")
    bundle.config["linux"]["intelRdt"] = {}
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        with open(f"{mnt}/{unique_id}/tasks") as f:
            assert str(pid) in f.read().split()
    finally:
        run_ocirun("delete", "--force", unique_id)


# ---- personality, ioPriority, scheduler ------------------------------------------------

@pytest.mark.skipif(os.uname().machine != "x86_64", reason="LINUX32 shows i686 on x86_64 only")
def test_personality_linux32(bundle, run_ocirun, unique_id):
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    r = run_out(run_ocirun, bundle, unique_id, ["uname", "-m"])
    assert r.stdout.strip() == "i686"


def test_io_priority(bundle, run_ocirun, unique_id):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    r = run_out(run_ocirun, bundle, unique_id, ["busybox", "ionice"])
    assert r.stdout.split() == ["best-effort:", "prio", "6"], r.stdout


def test_scheduler_batch_nice(bundle, run_ocirun, unique_id):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    r = run_out(run_ocirun, bundle, unique_id, ["cat", "/proc/self/stat"])
    fields = r.stdout.rsplit(")", 1)[1].split()
    # after the comm: field 19 (nice) is index 16, field 41 (policy) index 38
    assert (int(fields[16]), int(fields[38])) == (7, 3), r.stdout


@pytest.mark.parametrize("sched,want", [
    ({"policy": "SCHED_FIFO", "priority": 0}, "outside 1..99"),
    ({"policy": "SCHED_OTHER", "priority": 5}, "only SCHED_FIFO and SCHED_RR take a priority"),
    ({"policy": "SCHED_BATCH", "runtime": 5000}, "for SCHED_DEADLINE only"),
    ({"policy": "SCHED_DEADLINE", "runtime": 10000, "deadline": 5000, "period": 20000},
     "runtime <= deadline <= period"),
    ({"policy": "SCHED_ISO"}, "SCHED_ISO is not implemented by Linux"),
    ({"policy": "SCHED_OTHER", "nice": 40}, "outside -20..19"),
])
def test_scheduler_refused(bundle, run_ocirun, unique_id, tmp_root, sched, want):
    bundle.config["process"]["scheduler"] = sched
    r = run_out(run_ocirun, bundle, unique_id, ["/bin/true"], check=False)
    assert r.returncode != 0 and want in r.stderr, r.stderr
    assert_nothing_left(tmp_root)


# ---- --pidfd-socket ------------------------------------------------------------------------

class PidfdReceiver:
    """A listening AF_UNIX socket that accepts one connection and keeps the
    (body, fd) it receives."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.body, self.fd, self.error = None, None, None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                fds = array.array("i")
                msg, anc, _flags, _addr = conn.recvmsg(64, socket.CMSG_SPACE(fds.itemsize))
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds.frombytes(data[:fds.itemsize])
                self.body = msg.decode()
                self.fd = fds[0] if fds else None
        except OSError as e:
            self.error = e

    def wait(self):
        self.thread.join(30)
        assert self.error is None, self.error
        return self.body, self.fd

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
        self.sock.close()


def pidfd_pid(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return int(re.search(r"^Pid:\s*(-?\d+)", f.read(), re.M).group(1))


@pytest.fixture
def receiver():
    """make() -> a PidfdReceiver on a short path (sun_path is 108 bytes;
    pytest's tmp_path can be longer)."""
    made = []
    tmp = tempfile.mkdtemp(prefix="ocirun-pidfd-")

    def make():
        r = PidfdReceiver(os.path.join(tmp, f"{len(made)}.sock"))
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
    shutil.rmtree(tmp, ignore_errors=True)


def test_pidfd_socket_create(bundle, run_ocirun, unique_id, receiver):
    rcv = receiver()
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("create", "--pidfd-socket", rcv.path, "--bundle", bundle.path, unique_id,
               check=True)
    try:
        body, fd = rcv.wait()
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        assert body == "standard" and fd is not None
        assert pidfd_pid(fd) == pid
        # a working pidfd: signal the init through it
        run_ocirun("start", unique_id, check=True)
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while json.loads(run_ocirun("state", unique_id, check=True).stdout)["status"] != "stopped":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_pidfd_socket_run_detached(bundle, run_ocirun, unique_id, receiver):
    rcv = receiver()
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--pidfd-socket=" + rcv.path, "--bundle", bundle.path, unique_id,
               check=True)
    try:
        body, fd = rcv.wait()
        pid = json.loads(run_ocirun("state", unique_id, check=True).stdout)["pid"]
        assert (body, pidfd_pid(fd)) == ("standard", pid)
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_pidfd_socket_exec(bundle, run_ocirun, unique_id, receiver, test_dir):
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        rcv = receiver()
        pidfile = test_dir / "exec.pid"
        run_ocirun("exec", "-d", "--pid-file", str(pidfile), "--pidfd-socket", rcv.path,
                   unique_id, "sleep", "1000", check=True)
        body, fd = rcv.wait()
        assert body == "setns"
        assert pidfd_pid(fd) == int(pidfile.read_text())
    finally:
        run_ocirun("delete", "--force", unique_id)


def test_pidfd_socket_bad_path(bundle, run_ocirun, unique_id, tmp_root, test_dir):
    missing = str(test_dir / "nope.sock")
    bundle.set_args(["/bin/true"])
    for cmd in (["create"], ["run"]):
        r = run_ocirun(*cmd, "--pidfd-socket", missing, "--bundle", bundle.path, unique_id)
        assert r.returncode != 0
        assert f"connect to pidfd socket `{missing}`" in r.stderr, r.stderr
        assert "No such file or directory" in r.stderr
        assert_nothing_left(tmp_root)
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    try:
        r = run_ocirun("exec", "--pidfd-socket", missing, unique_id, "true")
        assert r.returncode != 0 and "connect to pidfd socket" in r.stderr, r.stderr
        ps = run_ocirun("ps", unique_id, check=True).stdout
        assert ps.count("\n") == 2, ps  # header and the init: no exec'd process left
    finally:
        run_ocirun("delete", "--force", unique_id)


# ---- features ------------------------------------------------------------------------------

def test_features_lists_the_extras(run_ocirun):
    lx = json.loads(run_ocirun("features", check=True).stdout)["linux"]
    assert lx["netDevices"] == {"enabled": True}
    # features-linux.md: independent of the host having resctrl
    assert lx["intelRdt"] == {"enabled": True, "schemata": True, "monitoring": True}
    assert lx["memoryPolicy"] == {
        "modes": ["MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
                  "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE"],
        "flags": ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"],
    }
