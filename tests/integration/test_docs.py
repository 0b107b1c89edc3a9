"""The man pages: every command has one, every flag of its --help is in it,
and every page renders with groff and man without a warning. The spec
conformance table names only tests that exist."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SRCDIR = Path(__file__).resolve().parents[2]
MANDIR = SRCDIR / "man"
PAGES = sorted(MANDIR.glob("*.8.md"))


def help_text(ocirun, *args):
    r = subprocess.run([str(ocirun), *args, "--help"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def section(text, title):
    """The non-empty lines of one section (e.g. 'OPTIONS:') of a --help text."""
    lines, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[A-Z ]+:$", line):
            inside = line == title
        elif inside and line.strip():
            lines.append(line)
    return lines


def flag_names(lines):
    """Every flag spelling of option lines like '   --bundle DIR, -b DIR   help'."""
    names = []
    for line in lines:
        m = re.match(r"^\s+(-[\w-]+(?: [A-Z][^,\s]*)?(?:, -[\w-]+(?: [A-Z][^,\s]*)?)*)", line)
        assert m, f"unparsable option line {line!r}"
        names += re.findall(r"(?:^|, )(--?[a-zA-Z][\w-]*)", m.group(1))
    return names


def commands(ocirun):
    names = []
    for line in section(help_text(ocirun), "COMMANDS:"):
        m = re.match(r"^\s+([a-z]+)", line)
        names.append(m.group(1))
    return [n for n in names if n != "help"]


@pytest.fixture(scope="module")
def go_md2man():
    path = shutil.which("go-md2man")
    if path is None:
        pytest.skip("go-md2man is not installed (contrib/deps.txt lists it)")
    return path


@pytest.fixture(scope="module")
def rendered(go_md2man, tmp_path_factory):
    """Each page converted by go-md2man, as the build does: {name: path}."""
    out = tmp_path_factory.mktemp("man")
    pages = {}
    for md in PAGES:
        dest = out / md.name[:-3]
        subprocess.run([go_md2man, "-in", str(md), "-out", str(dest)], check=True,
                       timeout=60)
        pages[dest.name] = dest
    return pages


def test_pages_exist():
    assert (MANDIR / "ocirun.8.md").is_file()
    assert len(PAGES) > 10


def test_every_command_has_a_page(ocirun):
    cmds = commands(ocirun)
    assert {"create", "start", "run", "delete", "kill", "state"} <= set(cmds)
    missing = [c for c in cmds if not (MANDIR / f"ocirun-{c}.8.md").is_file()]
    assert missing == [], f"commands without a man page: {missing}"


def test_every_page_is_installed():
    """Makefile.am's MAN_PAGES names each page, so make install ships it."""
    text = (SRCDIR / "Makefile.am").read_text()
    m = re.search(r"^MAN_PAGES = ((?:.*\\\n)*.*)$", text, re.M)
    assert m, "MAN_PAGES not found in Makefile.am"
    listed = set(re.findall(r"man/(\S+\.8)\b", m.group(1)))
    assert listed == {p.name[:-3] for p in PAGES}


def test_page_names_its_command():
    for md in PAGES:
        name = md.name[:-5]
        text = md.read_text()
        assert text.startswith(f"% {name.upper()} 8\n"), md.name
        assert re.search(rf"^# NAME\n{re.escape(name)} - \S", text, re.M), md.name
        for title in ("SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            assert f"\n# {title}\n" in text, f"{md.name} lacks {title}"


def test_global_flags_in_main_page(ocirun):
    page = (MANDIR / "ocirun.8.md").read_text()
    flags = flag_names(section(help_text(ocirun), "GLOBAL OPTIONS:"))
    assert "--root" in flags and "--log" in flags
    missing = [f for f in flags if f"**{f}**" not in page]
    assert missing == [], f"ocirun.8.md lacks global flags {missing}"
    for var in ("XDG_RUNTIME_DIR", "NOTIFY_SOCKET"):
        assert var in page
    assert "# EXIT STATUS" in page and "# FILES" in page


def test_command_flags_in_pages(ocirun):
    problems = {}
    checked = 0
    for cmd in commands(ocirun):
        md = MANDIR / f"ocirun-{cmd}.8.md"
        if not md.is_file():
            continue  # test_every_command_has_a_page reports it
        page = md.read_text()
        flags = flag_names(section(help_text(ocirun, cmd), "OPTIONS:"))
        assert "--help" in flags, cmd
        checked += len(flags)
        missing = [f for f in flags if f"**{f}**" not in page]
        if missing:
            problems[cmd] = missing
    assert checked > 50
    assert problems == {}, f"flags missing from their man page: {problems}"


def test_groff_renders_without_warnings(rendered):
    assert len(rendered) == len(PAGES)
    for name, path in rendered.items():
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(path)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr == "", f"{name}: {r.stderr}"


def test_man_renders_pages(rendered):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", LC_ALL="C.UTF-8")
    for name, path in rendered.items():
        r = subprocess.run(["man", "-l", "-P", "cat", str(path)], capture_output=True,
                           text=True, timeout=60, env=env)
        assert r.returncode == 0, f"{name}: {r.stderr}"
        assert r.stderr == "", f"{name}: {r.stderr}"
        out = re.sub(r".\x08", "", r.stdout)
        title = name[:-2].upper()
        assert out.startswith(f"{title}(8)"), f"{name}: {out[:200]!r}"
        assert "NAME" in out and "SYNOPSIS" in out and "DESCRIPTION" in out


def test_built_pages_match_sources(go_md2man):
    """`make` converted every page into the build dir (man8_MANS)."""
    builddir = os.environ.get("OCIRUN_BUILDDIR")
    if not builddir:
        pytest.skip("OCIRUN_BUILDDIR is not set (make check sets it)")
    for md in PAGES:
        built = Path(builddir) / "man" / md.name[:-3]
        assert built.is_file(), f"{built} was not built"
        assert ".TH " in built.read_text()


def test_spec_conformance_references_exist():
    """docs/spec-conformance.md names the test behind each row: every
    `tests/X.py::name` must define `name` in X.py, every `tests/unit/x.c`
    must exist, so the table cannot point at renamed or removed tests."""
    doc = (SRCDIR / "docs" / "spec-conformance.md").read_text()
    py_refs = set(re.findall(r"\btests/([\w/]+\.py)::(\w+)", doc))
    c_refs = set(re.findall(r"\btests/(unit/[\w.-]+\.c)\b", doc))
    assert len(py_refs) > 100 and len(c_refs) > 5
    assert "## Open rows" in doc
    missing = []
    for path, name in sorted(py_refs):
        f = SRCDIR / "tests" / path
        if not f.is_file() or not re.search(rf"^\s*def {name}\(", f.read_text(), re.M):
            missing.append(f"tests/{path}::{name}")
    missing += [f"tests/{p}" for p in sorted(c_refs) if not (SRCDIR / "tests" / p).is_file()]
    assert missing == [], f"docs/spec-conformance.md names tests that do not exist: {missing}"
