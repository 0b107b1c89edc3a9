"""The shell completions in contrib/completions: current with the binary's
--help, and the bash one completes commands, flags, values and ids."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRCDIR = Path(__file__).resolve().parents[2]
COMPLETIONS = SRCDIR / "contrib" / "completions"
BASH = COMPLETIONS / "bash" / "ocirun"
ZSH = COMPLETIONS / "zsh" / "_ocirun"
FISH = COMPLETIONS / "fish" / "ocirun.fish"


def complete(*words, env=None):
    """What _ocirun offers for the last of words (the word being completed)."""
    words = ["ocirun", *words]
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _ocirun; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", str(BASH),
                        *words], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return [w for w in r.stdout.split("\n") if w]


def commands(ocirun):
    out = subprocess.run([str(ocirun), "--help"], capture_output=True, text=True,
                         check=True).stdout
    body = out.split("COMMANDS:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0].rstrip(",") for line in body.splitlines() if line.strip()]


def test_generated_files_are_current(ocirun, tmp_path):
    """generate.py run on this binary gives exactly the committed files."""
    subprocess.run([sys.executable, str(COMPLETIONS / "generate.py"), str(ocirun),
                    str(tmp_path)], check=True, timeout=60)
    for committed in (BASH, ZSH, FISH):
        fresh = tmp_path / committed.parent.name / committed.name
        assert fresh.read_text() == committed.read_text(), (
            f"{committed} is stale: run contrib/completions/generate.py BUILDDIR/ocirun")


def test_bash_offers_the_commands(ocirun):
    cmds = commands(ocirun)
    assert {"create", "start", "run", "exec", "delete"} <= set(cmds)
    assert complete("") == cmds
    assert complete("st") == ["start", "state"]
    assert complete("--debug", "--root", "/x", "de") == ["delete"]


def test_bash_offers_flags():
    assert "--root" in complete("--r") and "--rootless" in complete("--r")
    assert complete("delete", "-") == ["--force", "-f", "--help", "-h"]
    assert "--bundle" in complete("run", "--b") and "--detach" in complete("run", "--d")
    assert "--keep" in complete("run", "--")
    assert "--keep" not in complete("create", "--")


def test_bash_offers_values(tmp_path):
    assert complete("--log-level", "") == ["error", "warn", "info", "debug"]
    assert complete("--cgroup-manager", "s") == ["systemd"]
    assert complete("list", "--format", "") == ["table", "json"]
    assert complete("list", "-f", "j") == ["json"]
    (tmp_path / "bundledir").mkdir()
    (tmp_path / "bundlefile").write_text("")
    assert complete("run", "--bundle", str(tmp_path / "bundle")) == [
        str(tmp_path / "bundledir")]


def test_bash_offers_container_ids(tmp_path):
    for name in ("abc", "abd", "xyz"):
        (tmp_path / name).mkdir()
    (tmp_path / "afile").write_text("")
    assert complete("--root", str(tmp_path), "start", "a") == ["abc", "abd"]
    assert complete(f"--root={tmp_path}", "delete", "-f", "") == ["abc", "abd", "xyz"]
    # the id is the only argument: nothing after it
    assert complete(f"--root={tmp_path}", "state", "abc", "") == []
    assert "SIGKILL" in complete(f"--root={tmp_path}", "kill", "abc", "SIGK")


def test_bash_help_completes_commands():
    assert complete("help", "ru") == ["run"]


@pytest.mark.parametrize("shell,path,check", [
    ("zsh", ZSH, ["zsh", "-n"]),
    ("fish", FISH, ["fish", "--no-execute"]),
])
def test_other_shells_parse(shell, path, check):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    r = subprocess.run([*check, str(path)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_zsh_and_fish_list_every_command(ocirun):
    zsh, fish = ZSH.read_text(), FISH.read_text()
    for cmd in commands(ocirun):
        assert f"    '{cmd}:" in zsh, cmd
        assert f" -a {cmd} -d " in fish, cmd


def test_fish_offers_commands_and_flags():
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")

    def fish_complete(line):
        r = subprocess.run(["fish", "--no-config", "-c",
                            f"source {FISH}; complete -C '{line}'"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        return sorted(x.split("\t")[0] for x in r.stdout.splitlines())

    assert fish_complete("ocirun st") == ["start", "state"]
    assert fish_complete("ocirun delete -") == ["--force", "--help", "-f", "-h"]
    assert fish_complete("ocirun list --format ") == ["json", "table"]
