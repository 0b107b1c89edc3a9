#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak (issue #14): many `run` + `delete` cycles and many `exec`s, and
nothing may grow.

    tests/soak/soak.py                  (make soak)
    SOAK_RUNS=200 SOAK_EXECS=50 tests/soak/soak.py

Environment:
  OCIRUN       the binary (default: ocirun next to the build, else on PATH)
  SOAK_RUNS    run + delete cycles of /bin/true (default 10000)
  SOAK_EXECS   execs of /bin/true into one running container (default 2000)
  SOAK_PREFIX  the id prefix (default soak-<random>); each cycle's id is
               PREFIX-N, so its cgroup is /PREFIX-N in every hierarchy
  SOAK_STRICT  1: a change of the global cgroup set made by someone else on
               the machine also fails (default: reported only)

Root only. The script re-runs itself in a private mount namespace
(`unshare -m --propagation private`): the bundle and the state root live on
a tmpfs there, and a mount that ocirun leaked on its own side would land in
that namespace's mount table, which no other process on the machine
changes, so its line count is an exact measure. The containers use the
default cgroup path (no linux.cgroupsPath: /<id>), so a cgroup is made and
removed in every hierarchy on each cycle.

Measured before and after the cycles (the exec target already running in
both), and once more at the very end against the start, with everything
removed:

  mounts       lines of /proc/self/mountinfo (the namespace ocirun runs in),
               compared by mount id (a host rename above an inherited mount
               changes its path, not its id)
  cgroups      directories under /sys/fs/cgroup (find -type d, every
               hierarchy); the ones named PREFIX-* must match exactly, the
               rest of the machine is reported (other jobs make cgroups too)
  state root   its apparent size (du -sb) and its number of entries
  processes    processes in a PREFIX-* cgroup, or with the soak dir in
               their command line
  fds          real fd tables, read from /proc/PID/fd of live processes:
               a foreground `ocirun run` while its container sleeps (the
               runtime's fds at their peak: the whole create/start path has
               run, and it waits on the container), the init of that
               container, a foreground `ocirun exec` while its process
               sleeps, and that process. Compared as the sorted list of
               link targets (pipe/socket inode numbers dropped).

Exit 0 when all match, 1 when any differs or a call fails, 2 on a setup
problem. A table is printed either way.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

CGROUP_ROOT = "/sys/fs/cgroup"


def die(msg, code=2):
    print(f"soak: {msg}", file=sys.stderr)
    sys.exit(code)


def env_int(name, default):
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        die(f"{name} must be an integer")
    if value < 0:
        die(f"{name} must be >= 0")
    return value


def find_ocirun():
    explicit = os.environ.get("OCIRUN")
    if explicit:
        return os.path.abspath(explicit)
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "ocirun"), shutil.which("ocirun")):
        if cand and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    die("no ocirun binary: set OCIRUN")


# ---- the setup ---------------------------------------------------------------


class Soak:
    def __init__(self, ocirun, prefix, work):
        self.ocirun, self.prefix, self.work = ocirun, prefix, work
        self.root = os.path.join(work, "root")
        self.bundle = os.path.join(work, "bundle")
        self.sleeper = os.path.join(work, "sleeper")
        self.failures = []

    def oci(self, *args, check=True, **kw):
        # stderr through a file: a detached init would hold a pipe open
        with tempfile.TemporaryFile() as err:
            r = subprocess.run([self.ocirun, "--root", self.root, *args],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=err, timeout=60, **kw)
            err.seek(0)
            r.stderr = err.read().decode(errors="replace")
        if check and r.returncode != 0:
            self.failures.append(f"ocirun {' '.join(args)}: exit {r.returncode}: "
                                 f"{r.stderr.strip()}")
        return r

    def make_bundles(self):
        rootfs = os.path.join(self.work, "rootfs")
        for d in ("bin", "proc", "sys", "dev", "tmp", "etc"):
            os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        shutil.copy2("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        for applet in ("true", "sleep", "sh"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        for path, args in ((self.bundle, ["/bin/true"]),
                           (self.sleeper, ["/bin/sleep", "100000"])):
            os.makedirs(path)
            r = subprocess.run([self.ocirun, "spec"], cwd=path, capture_output=True,
                               text=True)
            if r.returncode != 0:
                die(f"ocirun spec: {r.stderr.strip()}")
            cfg_path = os.path.join(path, "config.json")
            with open(cfg_path) as f:
                cfg = json.load(f)
            cfg["root"]["path"] = rootfs
            cfg["process"]["args"] = args
            cfg["process"]["terminal"] = False
            # the default cgroup path (/<id>): made and removed on each cycle
            cfg["linux"].pop("cgroupsPath", None)
            with open(cfg_path, "w") as f:
                json.dump(cfg, f)

    # ---- the measures --------------------------------------------------------

    def mounts(self):
        """{mount id: the rest of the mountinfo line}. Compared by id: a
        mount inherited from the host keeps its id, but the path shown
        changes when someone renames a directory above it on the host."""
        with open("/proc/self/mountinfo") as f:
            return dict(line.rstrip("\n").split(" ", 1) for line in f)

    def cgroups(self):
        dirs = set()
        for top, subdirs, _ in os.walk(CGROUP_ROOT):
            for d in subdirs:
                dirs.add(os.path.join(top, d))
        return dirs

    def ours(self, path):
        return os.path.basename(path).startswith(self.prefix + "-")

    def state_root(self):
        total, entries = os.lstat(self.root).st_size, 0
        for top, subdirs, files in os.walk(self.root):
            for name in subdirs + files:
                entries += 1
                total += os.lstat(os.path.join(top, name)).st_size
        return total, entries

    def processes(self):
        found = []
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open(f"/proc/{entry}/cgroup") as f:
                    cg = f.read()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"/{self.prefix}-" in cg or self.work in cmd:
                found.append(f"{entry} {cmd.strip()}")
        return sorted(found)

    def snapshot(self):
        cg = self.cgroups()
        return {"mounts": self.mounts(), "cgroups": cg,
                "ours": sorted(d for d in cg if self.ours(d)),
                "state": self.state_root(), "procs": self.processes()}


def fd_table(pid, cid=None):
    """The sorted link targets of /proc/PID/fd; pipe/socket inodes dropped
    (they differ from one process to the next, their kind does not), the
    probe's own id shown as ID."""
    out = []
    base = f"/proc/{pid}/fd"
    for fd in sorted(os.listdir(base), key=int):
        try:
            target = os.readlink(os.path.join(base, fd))
        except OSError:
            continue
        if target.startswith(("pipe:", "socket:")):
            target = target.split(":")[0]
        if cid:
            target = target.replace(cid, "ID")
        out.append(f"{fd}:{target}")
    return out


def wait_for(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    return pred()


def read_pid(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text else None
    except OSError:
        return None


def probe_run(soak, tag):
    """fds of a foreground `ocirun run` (waiting on its container) and of the
    container's init; then the init is killed and run deletes the container."""
    cid = f"{soak.prefix}-probe-{tag}"
    pid_file = os.path.join(soak.work, f"{cid}.pid")
    with open(os.devnull, "r+b") as null:
        p = subprocess.Popen([soak.ocirun, "--root", soak.root, "run", "--bundle",
                              soak.sleeper, "--pid-file", pid_file, cid],
                             stdin=null, stdout=null, stderr=null)
    try:
        init = wait_for(lambda: read_pid(pid_file))
        if init is None:
            die(f"probe {cid}: no pid file", 1)
        time.sleep(0.1)  # the pid file is written before run starts waiting
        tables = {"ocirun run": fd_table(p.pid, cid), "container init": fd_table(init)}
        os.kill(init, 9)
        rc = p.wait(timeout=30)
        if rc != 137:
            soak.failures.append(f"probe run {cid}: exit {rc}, expected 137")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return tables


def probe_exec(soak, target, tag):
    pid_file = os.path.join(soak.work, f"exec-{tag}.pid")
    with open(os.devnull, "r+b") as null:
        p = subprocess.Popen([soak.ocirun, "--root", soak.root, "exec", "--pid-file",
                              pid_file, target, "/bin/sleep", "100000"],
                             stdin=null, stdout=null, stderr=null)
    try:
        proc = wait_for(lambda: read_pid(pid_file))
        if proc is None:
            die("probe exec: no pid file", 1)
        time.sleep(0.1)
        tables = {"ocirun exec": fd_table(p.pid), "exec'd process": fd_table(proc)}
        os.kill(proc, 9)
        rc = p.wait(timeout=30)
        if rc != 137:
            soak.failures.append(f"probe exec: exit {rc}, expected 137")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return tables


# ---- the cycles ----------------------------------------------------------------


def cycles(soak, runs):
    """`run --keep` (foreground: create, start, wait) then a plain `delete` of
    the stopped container: both paths, with their own call each."""
    t0 = time.monotonic()
    step = max(1, runs // 10)
    for i in range(runs):
        cid = f"{soak.prefix}-{i}"
        r = soak.oci("run", "--keep", "--bundle", soak.bundle, cid)
        soak.oci("delete", cid)
        if r.returncode != 0 and len(soak.failures) > 20:
            die("more than 20 failures, stopping:\n" + "\n".join(soak.failures), 1)
        if (i + 1) % step == 0:
            print(f"  run+delete {i + 1}/{runs} ({time.monotonic() - t0:.0f} s)", flush=True)
    return time.monotonic() - t0


def execs(soak, target, n):
    t0 = time.monotonic()
    step = max(1, n // 5)
    for i in range(n):
        soak.oci("exec", target, "/bin/true")
        if len(soak.failures) > 20:
            die("more than 20 failures, stopping:\n" + "\n".join(soak.failures), 1)
        if (i + 1) % step == 0:
            print(f"  exec {i + 1}/{n} ({time.monotonic() - t0:.0f} s)", flush=True)
    return time.monotonic() - t0


# ---- the report ------------------------------------------------------------------


def compare(rows, name, before, after, ok=None):
    rows.append((name, str(before), str(after), "ok" if (before == after if ok is None
                                                         else ok) else "DIFFERS"))


def report(soak, b, a, fds_b, fds_a, start, end):
    rows, notes = [], []
    compare(rows, "mounts (mountinfo lines)", len(b["mounts"]), len(a["mounts"]),
            b["mounts"].keys() == a["mounts"].keys())
    foreign = b["cgroups"] ^ a["cgroups"]
    compare(rows, f"cgroup dirs named {soak.prefix}-*", len(b["ours"]), len(a["ours"]),
            b["ours"] == a["ours"])
    strict = os.environ.get("SOAK_STRICT") == "1"
    rows.append(("cgroup dirs, whole machine", str(len(b["cgroups"])),
                 str(len(a["cgroups"])),
                 "ok" if not foreign else ("DIFFERS" if strict else "others'")))
    if foreign:
        notes.append("cgroup dirs changed by other processes on the machine: "
                     + ", ".join(sorted(foreign)[:10])
                     + (" ..." if len(foreign) > 10 else ""))
    compare(rows, "state root bytes (du -sb)", b["state"][0], a["state"][0])
    compare(rows, "state root entries", b["state"][1], a["state"][1])
    compare(rows, "processes (the exec target's init)", len(b["procs"]), len(a["procs"]),
            b["procs"] == a["procs"])
    for who in fds_b:
        compare(rows, f"fds of {who}", len(fds_b[who]), len(fds_a[who]),
                fds_b[who] == fds_a[who])
    # the end against the start, the exec target deleted too
    compare(rows, "end vs start: mounts", len(start["mounts"]), len(end["mounts"]),
            start["mounts"].keys() == end["mounts"].keys())
    compare(rows, "end vs start: our cgroup dirs", len(start["ours"]), len(end["ours"]),
            start["ours"] == end["ours"] == [])
    compare(rows, "end vs start: state root entries", start["state"][1], end["state"][1])
    compare(rows, "end vs start: processes", len(start["procs"]), len(end["procs"]),
            start["procs"] == end["procs"] == [])
    w = max(len(r[0]) for r in rows)
    print(f"\n| {'measure':<{w}} | before | after | |")
    print(f"|{'-' * (w + 2)}|-------:|------:|---|")
    for name, before, after, verdict in rows:
        print(f"| {name:<{w}} | {before:>6} | {after:>5} | {verdict} |")
    for who in fds_b:
        print(f"\nfds of {who}: {' '.join(fds_a[who])}")
        if fds_b[who] != fds_a[who]:
            print(f"  before: {' '.join(fds_b[who])}")
    print("\nprocesses of the soak while it ran: " + ("; ".join(b["procs"]) or "none"))
    for snap, label in ((a, "after"), (end, "end")):
        if snap["procs"] != (b["procs"] if snap is a else []):
            print(f"\nprocesses {label}: " + "; ".join(snap["procs"]))
        if snap["ours"] != (b["ours"] if snap is a else []):
            print(f"\nour cgroups {label}: " + " ".join(snap["ours"]))
    for x, y in ((b["mounts"], a["mounts"]), (start["mounts"], end["mounts"])):
        if x != y:
            print("\nmounts that differ (by id, then the line):\n  " + "\n  ".join(
                f"{k} {x.get(k, '(none)')} -> {y.get(k, '(none)')}"
                for k in sorted(x.keys() ^ y.keys() or {k for k in x if x[k] != y.get(k)},
                                key=int)))
    for note in notes:
        print(f"\nnote: {note}")
    return all(r[3] in ("ok", "others'") for r in rows)


def main():
    if os.geteuid() != 0:
        die("needs root (cgroups, namespaces)")
    runs, n_exec = env_int("SOAK_RUNS", 10000), env_int("SOAK_EXECS", 2000)
    if not os.environ.get("OCIRUN_SOAK_NS"):
        # a private mount namespace: see the top of the file
        os.environ["OCIRUN_SOAK_NS"] = "1"
        argv = ["unshare", "-m", "--propagation", "private", sys.executable,
                os.path.abspath(__file__)]
        os.execvp("unshare", argv)
    ocirun = find_ocirun()
    prefix = os.environ.get("SOAK_PREFIX") or "soak-" + secrets.token_hex(4)
    work = tempfile.mkdtemp(prefix="ocirun-soak.")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=256m", "tmpfs", work],
                   check=True)
    soak = Soak(ocirun, prefix, work)
    target = f"{prefix}-exec-target"
    try:
        os.mkdir(soak.root, 0o700)
        soak.make_bundles()
        version = subprocess.run([ocirun, "--version"], capture_output=True,
                                 text=True).stdout.splitlines()[:1]
        print(f"soak: {ocirun} ({' '.join(version)}), {runs} run+delete, {n_exec} exec, "
              f"ids {prefix}-N, work {work} (tmpfs)", flush=True)
        start = soak.snapshot()
        soak.oci("run", "-d", "--bundle", soak.sleeper, target)
        # warm up once, so a first-time cache is not counted as growth
        probe_run(soak, "warmup")
        probe_exec(soak, target, "warmup")
        fds_b = {**probe_run(soak, "before"), **probe_exec(soak, target, "before")}
        before = soak.snapshot()
        t_run = cycles(soak, runs)
        t_exec = execs(soak, target, n_exec)
        fds_a = {**probe_run(soak, "after"), **probe_exec(soak, target, "after")}
        after = soak.snapshot()
        soak.oci("delete", "-f", target)
        end = wait_for(lambda: (lambda s: s if not s["procs"] else None)(soak.snapshot()),
                       5) or soak.snapshot()
        print(f"soak: {runs} run+delete in {t_run:.0f} s "
              f"({1000 * t_run / max(runs, 1):.0f} ms each), "
              f"{n_exec} exec in {t_exec:.0f} s ({1000 * t_exec / max(n_exec, 1):.0f} ms each)")
        ok = report(soak, before, after, fds_b, fds_a, start, end)
    finally:
        subprocess.run([ocirun, "--root", soak.root, "delete", "-f", target],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["umount", "-l", work], check=False)
        os.rmdir(work)
    if soak.failures:
        print(f"\n{len(soak.failures)} failed calls:\n  " + "\n  ".join(soak.failures[:20]))
        ok = False
    print("\nsoak: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
