"""A short soak (issue #14) in the suite: tests/soak/soak.py, the script of
`make soak`, with 200 run + delete cycles and 50 execs instead of 10,000 and
2,000.  Its ids carry the test's prefix, so the leak guard also sees its
cgroups.  A second test checks that the script does catch a leak: a wrapper
around ocirun that skips one `delete`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.root, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[1] / "soak" / "soak.py"


def soak(ocirun, prefix, runs, execs, timeout):
    env = dict(os.environ, OCIRUN=str(ocirun), SOAK_RUNS=str(runs), SOAK_EXECS=str(execs),
               SOAK_PREFIX=prefix)
    env.pop("OCIRUN_SOAK_NS", None)
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def rows(out):
    """{measure: (before, after, verdict)} from the printed table."""
    table = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].isdigit():
            table[cells[0]] = (int(cells[1]), int(cells[2]), cells[3])
    return table


def test_short_soak(ocirun, unique_id):
    r = soak(ocirun, unique_id, 200, 50, 600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "200 run+delete in" in r.stdout and "50 exec in" in r.stdout
    table = rows(r.stdout)
    for measure in ("mounts (mountinfo lines)", "state root entries",
                    "fds of ocirun run", "fds of container init", "fds of ocirun exec",
                    "fds of exec'd process", "end vs start: our cgroup dirs",
                    "end vs start: processes"):
        assert table[measure][2] == "ok", (measure, r.stdout)
    # the exec target runs throughout: its cgroup in every hierarchy, its init
    assert table[f"cgroup dirs named {unique_id}-*"][0] > 0
    assert table["processes (the exec target's init)"][:2] == (1, 1)
    # a container's process gets exactly stdin, stdout and stderr
    assert table["fds of container init"][:2] == (3, 3)
    assert table["fds of exec'd process"][:2] == (3, 3)
    assert r.stdout.rstrip().endswith("soak: PASS")


def test_soak_catches_a_skipped_delete(ocirun, unique_id, test_dir):
    """An ocirun that leaves one container behind (its `delete` skipped)
    and a mount (a tmpfs, in the soak's private mount namespace, so it goes
    with it): the state root, the cgroups and the mounts grow, and the
    script fails."""
    leaked = f"{unique_id}-1"
    spot = test_dir / "spot"
    spot.mkdir()
    wrapper = test_dir / "ocirun"
    wrapper.write_text("#!/bin/sh\n"
                       f'case " $* " in *" delete {leaked} "*)\n'
                       f'  mount -t tmpfs soak-leak {spot}; exit 0 ;; esac\n'
                       f'exec {ocirun} "$@"\n')
    wrapper.chmod(0o755)
    try:
        r = soak(wrapper, unique_id, 3, 2, 300)
        assert r.returncode == 1, r.stdout + r.stderr
        table = rows(r.stdout)
        assert table["state root entries"][2] == "DIFFERS", r.stdout
        assert table[f"cgroup dirs named {unique_id}-*"][2] == "DIFFERS", r.stdout
        assert table["mounts (mountinfo lines)"][1] == table["mounts (mountinfo lines)"][0] + 1
        assert table["mounts (mountinfo lines)"][2] == "DIFFERS", r.stdout
        assert re.search(r"\(none\) -> .*soak-leak", r.stdout), r.stdout
        assert re.search(rf"our cgroups after: .*/{re.escape(leaked)}\b", r.stdout), r.stdout
        assert r.stdout.rstrip().endswith("soak: FAIL")
    finally:
        # the stopped container's cgroup, in every hierarchy (its state went
        # with the soak's tmpfs)
        for top, dirs, _ in os.walk("/sys/fs/cgroup"):
            for d in dirs:
                if d == leaked:
                    os.rmdir(os.path.join(top, d))
