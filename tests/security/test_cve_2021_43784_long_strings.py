"""CVE-2021-43784 (runc): the length of a string sent from runc to its C
init was packed into a uint16 netlink attribute; a 64 KiB+ value (a
namespace path, a uid map) wrapped around and the rest of the message was
read as attacker-chosen *other* attributes. The class: a long string must
never be truncated into something else.

ocirun has no length-limited serialisation between the parent and the
init (the child inherits the parsed config by fork), and libocispec keeps
strings whole. Every string field of the config is set, one at a time, to
a 64 KiB+ value; the run must either succeed with the exact value (checked
for the fields the workload can see: args, env, cwd) or fail with one clear
error line, never crash (signal), hang, or leave anything behind."""

import json

import pytest

from hostguard import HostGuard

pytestmark = pytest.mark.root

BIG = 65536 + 17


def big(prefix="/"):
    return prefix + "a" * (BIG - len(prefix))


def string_fields(node, path=()):
    """Paths (tuples of keys/indices) of every string in the config."""
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from string_fields(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from string_fields(v, path + (i,))


def set_path(node, path, value):
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def extra_fields(cfg):
    """String fields the default config does not have, added with a value."""
    cfg["hostname"] = "h"
    cfg["domainname"] = "d"
    cfg["process"]["apparmorProfile"] = "p"
    cfg["process"]["selinuxLabel"] = "l"
    cfg["linux"]["mountLabel"] = "m"
    cfg["linux"]["cgroupsPath"] = "/c"
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "0"}
    cfg["linux"]["namespaces"].append({"type": "cgroup", "path": "/proc/self/ns/cgroup"})
    cfg["annotations"] = {"k": "v"}
    cfg["process"]["user"]["username"] = "u"
    cfg["hooks"] = {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=1"]}]}
    return cfg


def fields():
    from ocitestlib.bundle import default_config
    cfg = extra_fields(default_config())
    return [p for p in string_fields(cfg) if p[0] != "ociVersion"] + [("ociVersion",)]


@pytest.mark.parametrize("path", fields(), ids=lambda p: ".".join(map(str, p)))
def test_long_string_field(bundle, run_ocirun, unique_id, test_dir, path):
    guard = HostGuard(test_dir).arm()
    cfg = extra_fields(bundle.config)
    cfg["linux"]["namespaces"].pop()  # the cgroup path only when tested
    if path[:2] == ("linux", "namespaces"):
        cfg["linux"]["namespaces"].append({"type": "cgroup", "path": "/proc/self/ns/cgroup"})
    cfg["linux"].pop("cgroupsPath")
    cfg.pop("hooks")
    for k in ("apparmorProfile", "selinuxLabel"):
        cfg["process"].pop(k)
    cfg["linux"].pop("mountLabel")
    cfg["process"]["user"].pop("username")
    if path == ("linux", "cgroupsPath"):
        cfg["linux"]["cgroupsPath"] = "/c"
    if path[0] == "hooks":
        cfg["hooks"] = {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=1"]}]}
    for key in ("apparmorProfile", "selinuxLabel", "username"):
        if path[-1] == key:
            (cfg["process"]["user"] if key == "username" else cfg["process"])[key] = "x"
    if path[-1] == "mountLabel":
        cfg["linux"]["mountLabel"] = "x"
    value = big("/" if path[-1] in ("destination", "source", "path", "cwd") else "x")
    if path[:2] == ("process", "env"):
        value = "LONG=" + "v" * BIG
    set_path(cfg, path, value)
    cfg["process"]["args"] = (cfg["process"]["args"] if path[:2] == ("process", "args")
                              else ["/bin/sh", "-c", "echo ${#LONG} $(pwd | wc -c)"])
    if path[:2] == ("process", "args"):
        cfg["process"]["args"] = ["/bin/sh", "-c", "echo ${#0}", value]
    bundle.write()
    r = run_ocirun("run", "--bundle", bundle.path, unique_id, timeout=60)
    assert r.returncode in (0, 1), (r.returncode, r.stderr[-500:])
    if r.returncode == 1:
        lines = [line for line in r.stderr.splitlines() if "level=error" in line]
        assert len(lines) == 1, r.stderr[-2000:]
    else:
        if path[:2] == ("process", "args"):
            assert r.stdout.split() == [str(BIG)]
        elif path[:2] == ("process", "env"):
            assert r.stdout.split()[0] == str(BIG)
    guard.check()


def test_long_string_fields_are_covered():
    """The list above really covers the interesting fields."""
    names = {p[-1] if not isinstance(p[-1], int) else p[-2] for p in fields()}
    for want in ("destination", "source", "path", "hostname", "cwd", "args", "env",
                 "apparmorProfile", "mountLabel", "cgroupsPath", "username", "type"):
        assert want in names, want
