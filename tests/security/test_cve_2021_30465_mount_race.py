"""CVE-2021-30465 and CVE-2024-45310: symlink-exchange races on a volume
shared with the attacker.

The attacker controls a directory that is bind-mounted into the container
and also names mount destinations under it. While the runtime resolves a
destination (`/vol/a/mnt`, or a not-yet-existing `/vol/a/new/dir` it has to
create), the attacker swaps `a` with a symlink to a host directory using
renameat2(RENAME_EXCHANGE). A runtime that checks the path and then mounts
(or mkdirs) by path string follows the swapped-in symlink: the tmpfs lands
over a host directory (2021-30465), or empty directories appear on the host
(2024-45310).

ocirun opens each component in-root (openat2 RESOLVE_IN_ROOT, no path
re-walk between check and use) and mounts onto the fd it opened; a
symlink swapped in at any moment resolves inside the rootfs, where the
target does not exist, so the start fails cleanly or the mount lands on
the real directory. Here a host process loops the exchange while
containers start for ~20 seconds; afterwards no host path was mounted or
created, and every container that did start has its tmpfs at /vol/..."""

import ctypes
import multiprocessing
import os
import time

import pytest

from hostguard import HostGuard

pytestmark = [pytest.mark.root, pytest.mark.slow]

RENAME_EXCHANGE = 2
DURATION = 20.0


def swapper(vol, stop_at):
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = libc.renameat2
    a = os.path.join(vol, "a").encode()
    b = os.path.join(vol, "b").encode()
    while time.monotonic() < stop_at:
        renameat2(-100, a, -100, b, RENAME_EXCHANGE)  # AT_FDCWD


def test_exchange_race_on_shared_volume(bundle, run_ocirun, make_id, test_dir):
    guard = HostGuard(test_dir)
    escape = guard.directory("escape")
    (escape / "mnt").mkdir()
    guard.paths.append(escape / "mnt")
    vol = test_dir / "vol"
    (vol / "a/mnt").mkdir(parents=True)
    os.symlink(str(escape), vol / "b")
    guard.arm()

    bundle.add_mount("/vol", None, str(vol), ["rbind", "rw"])
    for i in range(4):
        bundle.add_mount("/vol/a/mnt", "tmpfs", "tmpfs", ["size=1m"])
    # CVE-2024-45310: destinations that do not exist yet, created by the runtime
    bundle.add_mount("/vol/a/new/dir", "tmpfs", "tmpfs", ["size=1m"])
    bundle.set_args(["/bin/sh", "-c", "cat /proc/self/mountinfo"])

    stop_at = time.monotonic() + DURATION
    proc = multiprocessing.get_context("fork").Process(target=swapper, args=(str(vol), stop_at))
    proc.start()
    results = {"ok": 0, "refused": 0, "in-root": 0}
    try:
        while time.monotonic() < stop_at:
            r = run_ocirun("run", "--bundle", bundle.path, make_id(), timeout=60)
            if r.returncode == 0:
                results["ok"] += 1
                points = [line.split()[4] for line in r.stdout.splitlines()
                          if " - tmpfs " in line]
                for p in points:
                    if p.startswith(("/dev", "/proc/", "/sys/")):
                        continue  # the config's own, masked dirs, cgroup v1's tmpfs
                    # a swapped-in symlink resolves in-root: the mount may land
                    # on the *rootfs's* copy of the escape path (created
                    # in-root), never on the host's (checked below)
                    assert p.startswith(("/vol/a/", "/vol/b/", str(escape) + "/")), (p, r.stdout)
                    results["in-root"] += not p.startswith("/vol/")
            else:
                results["refused"] += 1
                assert r.returncode == 1 and "level=error" in r.stderr, r.stderr
    finally:
        proc.join(DURATION + 10)
        if proc.is_alive():
            proc.kill()
    print(f"race results: {results}")
    assert results["ok"] + results["refused"] >= 20
    guard.check()
    assert sorted(os.listdir(escape)) == ["marker", "mnt"], os.listdir(escape)
    assert os.listdir(escape / "mnt") == []
