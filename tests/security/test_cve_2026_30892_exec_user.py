"""crun CVE-2026-30892: `exec -u` parsed the user loosely (sscanf-style),
so "1000abc", " 0", "-1" or an out-of-range number became some *other*
uid, root included ((uid_t)-1 means "unchanged" to setresuid; a wrapped
number lands on 0).

ocirun's `-u UID[:GID]` takes decimal numbers only, no sign, no blanks, no
names (runc's rule), below 4294967295; anything else is a clear error
before anything runs. Each row of the table is either exactly the ids the
process runs with, or an error naming the flag."""

import json

import pytest

from conftest import json_from

pytestmark = pytest.mark.root

# value -> (uid, gid) it must run as, or None: refused
TABLE = [
    ("0:0", (0, 0)),
    ("0", (0, 0)),
    ("1000", (1000, 0)),           # gid stays the config's
    ("1000:1000", (1000, 1000)),
    ("65534:65534", (65534, 65534)),
    ("01000:0100", (1000, 100)),   # decimal, leading zeros allowed
    ("4294967294:4294967294", (4294967294, 4294967294)),
    ("tester", None),              # names are not looked up (runc)
    ("root", None),
    (":", None),
    ("", None),
    (":0", None),
    ("0:", None),
    ("-1", None),
    ("-1:-1", None),
    ("0:-1", None),
    ("+5", None),
    ("4294967295", None),          # (uid_t)-1: "leave unchanged"
    ("0:4294967295", None),
    ("4294967296", None),          # would wrap to 0
    ("18446744073709551616", None),
    ("99999999999999999999999", None),
    ("1000 : 1000", None),
    (" 1000", None),
    ("1000 ", None),
    ("1000\t", None),
    ("1000:1000:1000", None),
    ("0x10", None),
    ("1e3", None),
    ("1000abc", None),
    ("1000:abc", None),
    ("١٠٠٠", None),                 # non-ASCII digits
]


@pytest.fixture
def running(bundle, run_ocirun, unique_id):
    bundle.set_args(["/bin/sleep", "1000"])
    run_ocirun("run", "-d", "--bundle", bundle.path, unique_id, check=True)
    yield unique_id
    run_ocirun("delete", "--force", unique_id)


def test_exec_user_table(running, run_ocirun):
    failures = []
    for value, want in TABLE:
        r = run_ocirun("exec", "-u", value, running, "/bin/ocitest", "ids")
        if want is None:
            ok = (r.returncode == 1 and '"uid"' not in r.stdout
                  and "exec failed: --user" in r.stderr)
        else:
            ids = json_from(r.stdout) if r.returncode == 0 else None
            ok = ids is not None and (ids["uid"], ids["euid"], ids["suid"],
                                      ids["gid"], ids["egid"], ids["sgid"]) == (
                want[0], want[0], want[0], want[1], want[1], want[1])
        if not ok:
            failures.append((value, want, r.returncode, r.stdout[-200:], r.stderr[-200:]))
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


def test_exec_user_equals_form(running, run_ocirun):
    """--user=VALUE goes through the same parser."""
    r = run_ocirun("exec", "--user=1000:1000", running, "/bin/ocitest", "ids")
    assert (json_from(r.stdout)["uid"], json_from(r.stdout)["gid"]) == (1000, 1000)
    r = run_ocirun("exec", "--user=-1", running, "/bin/ocitest", "ids")
    assert r.returncode == 1 and "--user" in r.stderr


def test_process_file_user_is_exact(running, run_ocirun, bundle, test_dir):
    """The same ids through --process: libocispec refuses what is not a
    uint32 (a negative or 2^32 uid is a type error with the JSON path)."""
    base = dict(bundle.config["process"], args=["/bin/ocitest", "ids"])
    for uid, ok in ((1000, True), (-1, False), (4294967296, False), ("0", False)):
        p = dict(base, user={"uid": uid, "gid": 0})
        (test_dir / "p.json").write_text(json.dumps(p))
        r = run_ocirun("exec", "--process", str(test_dir / "p.json"), running)
        if ok:
            assert r.returncode == 0 and json_from(r.stdout)["uid"] == uid, r.stderr
        else:
            assert r.returncode == 1 and "user.uid" in r.stderr, (uid, r.stderr)
