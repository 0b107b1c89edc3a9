"""Packaging: the tarball carries every source file, `make install` puts the
binary, man pages and completions in place, and `make deb` builds a .deb
that installs a working ocirun."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ocitestlib.elf import is_static

SRCDIR = Path(__file__).resolve().parents[2]


def builddir():
    path = os.environ.get("OCIRUN_BUILDDIR")
    if not path:
        pytest.skip("OCIRUN_BUILDDIR is not set (make check sets it)")
    return Path(path)


def make(*args, timeout=600):
    env = dict(os.environ)
    # Not part of the outer make's jobserver: run the sub-make on its own.
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(var, None)
    r = subprocess.run(["make", "-C", str(builddir()), *args], capture_output=True,
                       text=True, timeout=timeout, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def test_every_source_file_is_distributed():
    """A .c or .h that Makefile.am does not name is missing from `make dist`."""
    text = (SRCDIR / "Makefile.am").read_text()
    named = set(re.findall(r"[\w./-]+\.[ch]\b", text))
    missing = []
    for top in ("src", "libocispec"):
        for path in (SRCDIR / top).rglob("*.[ch]"):
            rel = path.relative_to(SRCDIR).as_posix()
            if rel not in named:
                missing.append(rel)
    assert missing == [], f"not in Makefile.am (add to a _SOURCES or EXTRA_DIST): {missing}"


def test_make_install_and_uninstall(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "prefix=/usr")
    usr = dest / "usr"
    assert os.access(usr / "bin" / "ocirun", os.X_OK)
    r = subprocess.run([str(usr / "bin" / "ocirun"), "--version"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("ocirun version ")
    # a static ocirun comes with its dynamic companion for the systemd driver
    companion = usr / "libexec" / "ocirun" / "ocirun-systemd"
    if is_static(builddir() / "ocirun") and "+SYSTEMD" in r.stdout:
        assert os.access(companion, os.X_OK), f"{companion} not installed"
        assert not is_static(companion)
    share = usr / "share"
    assert (share / "bash-completion" / "completions" / "ocirun").is_file()
    assert (share / "zsh" / "vendor-completions" / "_ocirun").is_file()
    assert (share / "fish" / "vendor_completions.d" / "ocirun.fish").is_file()
    if shutil.which("go-md2man"):
        pages = {p.name for p in (share / "man" / "man8").iterdir()}
        md = {p.name[:-3] for p in (SRCDIR / "man").glob("*.8.md")}
        assert pages == md
    make("uninstall", f"DESTDIR={dest}", "prefix=/usr")
    left = [p for p in dest.rglob("*") if p.is_file()]
    assert left == []


@pytest.mark.slow
def test_deb_installs_and_runs(tmp_path):
    if shutil.which("dpkg-buildpackage") is None or shutil.which("dh") is None:
        pytest.skip("dpkg-dev and debhelper are not installed")
    out = tmp_path / "out"
    make("deb", f"DEB_OUT={out}", timeout=1500)
    debs = list(out.glob("ocirun_*.deb"))
    assert len(debs) == 1, debs
    contents = subprocess.run(["dpkg-deb", "-c", str(debs[0])], capture_output=True,
                              text=True, check=True).stdout
    for path in ("./usr/bin/ocirun", "./usr/share/man/man8/ocirun-run.8.gz",
                 "./usr/share/bash-completion/completions/ocirun",
                 "./usr/share/zsh/vendor-completions/_ocirun",
                 "./usr/share/fish/vendor_completions.d/ocirun.fish"):
        assert path in contents, f"{path} not in the package"
    root = tmp_path / "root"
    subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True, timeout=60)
    r = subprocess.run([str(root / "usr" / "bin" / "ocirun"), "--version"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ocirun version ")
    ocirun = root / "usr" / "bin" / "ocirun"
    if is_static(ocirun) and "+SYSTEMD" in r.stdout:
        # the companion, where the static binary looks for it
        assert "./usr/libexec/ocirun/ocirun-systemd" in contents
        assert b"/usr/libexec/ocirun\0" in ocirun.read_bytes()
    shutil.rmtree(root)
    assert not root.exists()
