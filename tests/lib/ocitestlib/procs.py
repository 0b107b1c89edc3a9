"""Process helpers that act on explicit pids only (never by name)."""

import os
import signal
import time


def proc_state(pid):
    """The one-letter state from /proc/PID/stat, or None if the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'
    rest = data[data.rfind(b")") + 2:].split()
    return rest[0].decode() if rest else None


def start_time(pid):
    """Field 22 of /proc/PID/stat (start time in clock ticks), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2:].split()
    # rest[0] is field 3, so field 22 is rest[19]
    return int(rest[19]) if len(rest) > 19 else None


def alive(pid, expected_start=None):
    """True if pid exists, is not a zombie, and (when given) started at
    expected_start, which guards against pid reuse."""
    state = proc_state(pid)
    if state is None or state in ("Z", "X"):
        return False
    if expected_start is not None and start_time(pid) != expected_start:
        return False
    return True


def reap_if_child(pid):
    """Collects pid if it happens to be our own child (a no-op otherwise)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        pass


def wait_gone(pids, timeout=5.0):
    """Waits until none of pids is alive; returns the ones still alive."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left:
        for pid in left:
            reap_if_child(pid)
        left = [p for p in left if alive(p)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return left


def kill_pids(pids, timeout=5.0):
    """SIGKILLs exactly these pids and waits for them; returns survivors."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:
            pass
    return wait_gone(pids, timeout)


def read_link(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]
