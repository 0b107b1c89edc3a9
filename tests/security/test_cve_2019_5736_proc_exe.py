"""CVE-2019-5736: a container overwrites the runtime binary through
/proc/PID/exe of a runtime process it can see.

Every test runs a private *copy* of ocirun, so even a regression damages
only the copy, and compares the copy's SHA-256 before and after."""

import hashlib
import json
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from hostguard import HostGuard

pytestmark = pytest.mark.root

# Opens every /proc/PID/exe that is not the container's own busybox or
# ocitest, reports it, and tries to write the binary through a reopened fd
# (the original exploit: open O_PATH/O_RDONLY, then write once the runtime
# has exited and the text is no longer busy).
WATCHER = ("i=0; while [ $i -lt {loops} ]; do i=$((i+1)); "
           "for e in /proc/[0-9]*/exe; do "
           "t=$(readlink $e 2>/dev/null) || continue; "
           "case $t in /bin/busybox|/bin/ocitest) continue;; esac; "
           "echo SAW $t; "
           "(exec 3<$e && sleep 0.05; echo pwned >>/proc/self/fd/3) 2>/dev/null && echo WROTE $t; "
           "done; done; echo loops=$i")


class Copy:
    def __init__(self, ocirun, test_dir):
        self.path = test_dir / "ocirun-copy"
        shutil.copy2(ocirun, self.path)
        self.root = test_dir / "copy-root"
        self.dir = test_dir

    def digest(self):
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def __call__(self, *args, timeout=60):
        with tempfile.TemporaryFile(dir=self.dir) as out, \
                tempfile.TemporaryFile(dir=self.dir) as err:
            r = subprocess.run([str(self.path), "--root", str(self.root), *args], stdout=out,
                               stderr=err, timeout=timeout, stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(r.args, r.returncode, out.read().decode(),
                                               err.read().decode())


@pytest.fixture
def copy(ocirun, test_dir, tmp_root):
    c = Copy(ocirun, test_dir)
    yield c
    for entry in (c.root.iterdir() if c.root.exists() else []):
        c("delete", "--force", entry.name)


def test_create_in_a_shared_pid_namespace(copy, make_bundle, unique_id, make_id, test_dir):
    """The attack during create: container A watches its pid namespace while
    containers B are created *into A's pid namespace* (linux.namespaces
    path), so every B init is, until execve, an ocirun process visible to A.
    ocirun's init is non-dumpable from the moment its maps are written
    until execve: A cannot even readlink its exe, let alone open it; the
    copy's hash is unchanged."""
    guard = HostGuard(test_dir).arm()
    before = copy.digest()
    a = make_bundle("a")
    a.set_args(["/bin/sleep", "1000"])
    assert copy("run", "-d", "--bundle", str(a.path), unique_id).returncode == 0
    pid = json.loads(copy("state", unique_id).stdout)["pid"]
    b = make_bundle("b")
    b.set_args(["/bin/true"])
    b.config["linux"]["namespaces"] = [
        {"type": "pid", "path": f"/proc/{pid}/ns/pid"} if n["type"] == "pid" else n
        for n in b.config["linux"]["namespaces"]]
    b.write()
    stop = threading.Event()
    created = []

    def storm():
        while not stop.is_set():
            cid = make_id()
            created.append(copy("create", "--bundle", str(b.path), cid).returncode)
            time.sleep(0.05)  # the created init sits there, visible to A
            copy("delete", "--force", cid)

    t = threading.Thread(target=storm)
    t.start()
    try:
        r = copy("exec", unique_id, "sh", "-c", WATCHER.format(loops=300), timeout=180)
    finally:
        stop.set()
        t.join(60)
    assert r.returncode == 0, r.stderr
    assert "loops=300" in r.stdout
    assert "SAW" not in r.stdout and "WROTE" not in r.stdout, r.stdout
    assert len(created) > 3 and set(created) == {0}
    assert copy.digest() == before
    guard.check()


def test_exec_storm(copy, bundle, unique_id, test_dir):
    """The attack during exec: a container process scans /proc/*/exe while
    `exec` runs in a loop (each exec has a joiner and a child that are
    ocirun images inside the container's pid namespace until execve). Both
    are non-dumpable until execve: nothing is seen, the copy is intact."""
    before = copy.digest()
    bundle.set_args(["/bin/sleep", "1000"])
    assert copy("run", "-d", "--bundle", str(bundle.path), unique_id).returncode == 0
    stop = threading.Event()
    codes = []

    def storm():
        while not stop.is_set():
            codes.append(copy("exec", unique_id, "true").returncode)

    t = threading.Thread(target=storm)
    t.start()
    try:
        r = copy("exec", unique_id, "sh", "-c", WATCHER.format(loops=500), timeout=180)
    finally:
        stop.set()
        t.join(60)
    assert r.returncode == 0, r.stderr
    assert "loops=500" in r.stdout
    assert "SAW" not in r.stdout and "WROTE" not in r.stdout, r.stdout
    assert len(codes) > 5 and set(codes) == {0}
    assert copy.digest() == before


def test_run_parent_in_host_pid_namespace(copy, bundle, unique_id, test_dir):
    """A container sharing the host's pid namespace sees the foreground
    `ocirun run` parent for its whole life. Running as root, `run` makes
    itself non-dumpable: the container (root, but without CAP_SYS_PTRACE)
    cannot open its exe."""
    before = copy.digest()
    bundle.remove_namespace("pid")
    bundle.config["process"]["capabilities"] = {k: ["CAP_DAC_OVERRIDE", "CAP_KILL"]
                                                for k in ("bounding", "effective", "permitted")}
    bundle.set_args(["/bin/sh", "-c",
                     f"for e in /proc/[0-9]*/exe; do t=$(readlink $e 2>/dev/null) || continue; "
                     f"case $t in *ocirun-copy*) echo SAW $t; "
                     f"(echo x >>$e) 2>/dev/null && echo WROTE;; esac; done; echo done"])
    r = copy("run", "--bundle", str(bundle.path), unique_id)
    assert r.returncode == 0, r.stderr
    assert "done" in r.stdout
    assert "SAW" not in r.stdout and "WROTE" not in r.stdout, r.stdout
    assert copy.digest() == before
