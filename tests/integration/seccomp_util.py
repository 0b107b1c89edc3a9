"""Helpers shared by test_seccomp.py and test_seccomp_notify.py: a rootless
setup (user nobody, its own uid mapped to 0, no cgroup, state under its
own XDG_RUNTIME_DIR)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ocitestlib.bundle import Bundle

NOBODY = 65534


class RootlessSetup:
    """A bundle, an ocirun copy and an XDG_RUNTIME_DIR user nobody can use
    (pytest's tmp dirs are 0700 root), under one 0755 directory `top`."""

    def __init__(self, ocitest_bin, ocirun):
        self.top = Path(tempfile.mkdtemp(prefix="ocirun-seccomp-", dir="/tmp"))
        os.chmod(self.top, 0o755)
        self.bundle = b = Bundle(self.top / "bundle", ocitest_bin)
        c = b.config
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": NOBODY, "size": 1}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": NOBODY, "size": 1}]
        c["linux"].pop("resources", None)
        c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
        for m in c["mounts"]:
            if m["destination"] == "/dev/pts":
                m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
        b.write()
        self.xdg = self.top / "xdg"
        self.xdg.mkdir()
        for p in (self.xdg, b.path, b.config_path):
            os.chown(p, NOBODY, NOBODY)
        self.binary = self.top / "ocirun"
        shutil.copy2(ocirun, self.binary)
        os.chmod(self.binary, 0o755)

    def run(self, *args, timeout=30):
        """`ocirun ARGS` as nobody, with --cgroup-manager disabled."""
        return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                               "--clear-groups", str(self.binary), "--cgroup-manager",
                               "disabled", *args],
                              env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(self.xdg)},
                              capture_output=True, text=True, timeout=timeout)

    def close(self):
        shutil.rmtree(self.top, ignore_errors=True)
