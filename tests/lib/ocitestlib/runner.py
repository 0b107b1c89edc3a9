"""Running the ocirun binary under test.

Output is captured through temporary files rather than pipes: after
`ocirun run -d` or `create` the container keeps the inherited stdout and
stderr open, and reading a pipe to EOF would then hang until the container
exits.  With files we wait for ocirun itself only.
"""

import json
import os
import signal
import subprocess
import tempfile

from . import procs


class OciRunError(AssertionError):
    """ocirun exited non-zero where the test required success (check=True)."""

    def __init__(self, result):
        self.result = result
        super().__init__(
            f"`{' '.join(map(str, result.args))}` exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}")


class OciRunTimeout(AssertionError):
    """ocirun did not finish in time (the process was killed)."""


def global_flags(root=None, log=None, log_format=None):
    flags = []
    if root is not None:
        flags += ["--root", str(root)]
    if log is not None:
        flags += ["--log", str(log)]
    if log_format is not None:
        flags += ["--log-format", str(log_format)]
    return flags


def make_env(env):
    """The current environment updated by env (a None value removes a name)."""
    full = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = str(value)
    return full


def _read_back(f):
    f.seek(0)
    return f.read().decode(errors="replace")


def run(binary, args, root=None, check=False, input=None, timeout=30, env=None,
        cwd=None, log=None, log_format=None):
    """Runs `binary [global flags] args...`; returns a text CompletedProcess."""
    argv = [str(binary)] + global_flags(root, log, log_format) + [str(a) for a in args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=out, stderr=err, env=make_env(env), cwd=cwd, close_fds=True)
        try:
            proc.communicate(input=input.encode() if isinstance(input, str) else input,
                             timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            raise OciRunTimeout(
                f"`{' '.join(argv)}` did not finish within {timeout}s (killed)\n"
                f"--- stdout ---\n{_read_back(out)}--- stderr ---\n{_read_back(err)}")
        result = subprocess.CompletedProcess(argv, proc.returncode, _read_back(out),
                                             _read_back(err))
    if check and result.returncode != 0:
        raise OciRunError(result)
    return result


class Background:
    """An ocirun process running while the test goes on (e.g. `run` of a
    container that pauses).  Output goes to files in outdir."""

    def __init__(self, binary, args, outdir, name, root=None, env=None, cwd=None,
                 log=None, log_format=None, stdin=None):
        self.argv = ([str(binary)] + global_flags(root, log, log_format)
                     + [str(a) for a in args])
        self.stdout_path = os.path.join(outdir, f"{name}.stdout")
        self.stderr_path = os.path.join(outdir, f"{name}.stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=out, stderr=err, env=make_env(env), cwd=cwd, close_fds=True)
        self.pid = self.proc.pid

    def wait(self, timeout=30):
        """Waits for exit and returns a CompletedProcess; fails on timeout."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise OciRunTimeout(f"`{' '.join(self.argv)}` still running after {timeout}s")
        return subprocess.CompletedProcess(self.argv, self.proc.returncode, self.stdout,
                                           self.stderr)

    @property
    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode(errors="replace")

    @property
    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def running(self):
        return self.proc.poll() is None

    def kill(self):
        """SIGKILLs this ocirun process (by its pid) and reaps it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            procs.wait_gone([self.pid], 5)


def json_from(text):
    """The last line of text that parses as a JSON object (ocitest prints
    one object per line), or None."""
    for line in reversed((text or "").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None
