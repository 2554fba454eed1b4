"""Start, wait for and stop an Odoo server: the one helper behind the multi-worker server
of the end-to-end tests (tests/odoo_server.py) and the portal benchmarks' servers
(bench/http_load.py). The shell scripts start Odoo with the same command
(``$ODOO`` in scripts/common.sh)::

    from odoo_process import OdooProcess
    server = OdooProcess.prefork(conf, "mydb", work / "odoo.log", workers=2)
    server.start()      # returns once it answers, else OdooStartError with the log's last lines
    ...
    server.stop()

The command is ``python3 scripts/odoo_launcher.py <odoo arguments>`` (``python3 -m odoo``
that the prefork server can re-execute for its gevent process), never the ``odoo``
console script. The server's output (its log and whatever a child prints before its
logging is set up, like a gevent process failing at start) is appended to one log file;
whoever owns the work folder keeps that file when the run fails (``keep_logs_only``).
"""
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LAUNCHER = Path(__file__).resolve().parent / "odoo_launcher.py"


def odoo_command(*args, python=None):
    """The command running Odoo's command line with ``args`` through the launcher, with
    ``python`` (default: this interpreter)."""
    return [python or sys.executable, str(LAUNCHER), *(str(arg) for arg in args)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(logfile, lines=60):
    """The last ``lines`` lines of ``logfile`` ("" when it does not exist)."""
    try:
        with open(logfile, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 256 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def keep_logs_only(folder):
    """Remove everything under ``folder`` but the ``*.log`` files (and the folders holding
    them): what a failed run leaves for inspection instead of removing its work folder."""
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            if not name.endswith(".log"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))
        for name in dirnames:
            path = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                if os.path.islink(path):
                    os.unlink(path)
                else:
                    os.rmdir(path)  # only when empty: it holds no log


class OdooStartError(RuntimeError):
    """The server exited or did not answer in time; the message ends with the last lines
    of its log, whose path is ``logfile``."""

    def __init__(self, message, logfile):
        super().__init__(message)
        self.logfile = logfile


class OdooProcess:
    """One Odoo server in its own process group, started through the launcher, its
    output appended to ``logfile``."""

    def __init__(self, args, logfile, *, http_port, gevent_port=None, env=None, python=None):
        self.args = [str(arg) for arg in args]
        self.logfile = Path(logfile)
        self.http_port = http_port
        self.gevent_port = gevent_port
        self.env = env
        self.python = python
        self.process = None

    @classmethod
    def prefork(cls, conf, db, logfile, *, workers, cron_threads=0, extra_args=(), env=None, python=None):
        """A multi-worker server (``--workers``) on loopback, on free HTTP and gevent ports,
        serving only ``db`` (no database when ``db`` is None). ``extra_args`` come last, so
        they override the options set here."""
        http_port, gevent_port = free_port(), free_port()
        args = ["-c", conf]
        if db:
            args += ["-d", db, f"--db-filter=^{db}$"]
        args += [
            f"--workers={workers}", f"--max-cron-threads={cron_threads}", "--http-interface=127.0.0.1",
            f"--http-port={http_port}", f"--gevent-port={gevent_port}", *extra_args,
        ]
        return cls(args, logfile, http_port=http_port, gevent_port=gevent_port if workers else None,
                   env=env, python=python)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def command(self):
        return odoo_command(*self.args, python=self.python)

    @property
    def pid(self):
        return self.process.pid if self.process else None

    @property
    def returncode(self):
        return self.process.poll() if self.process else None

    def start(self, timeout=120, ready=None):
        """Start the server and wait until it answers (``wait_ready``); on failure it is
        stopped and OdooStartError tells why, with the last lines of the log."""
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=self.env, start_new_session=True,
            )
        try:
            self.wait_ready(timeout=timeout, ready=ready)
        except BaseException:
            self.stop()
            raise
        return self

    def answers(self, port, path="/web/health"):
        """Whether ``path`` answers 200 on ``port`` of loopback."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, timeout=120, ready=None):
        """Wait until /web/health answers on the HTTP port and, with workers, on the gevent
        (websocket) port, then until ``ready()`` (optional, may raise while not ready) is
        true. OdooStartError when the server exits or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        waiting_for = "its HTTP port"
        while True:
            if self.process.poll() is not None:
                self._fail(f"Odoo exited with code {self.process.returncode} before answering on {self.url}")
            try:
                if not self.answers(self.http_port):
                    waiting_for = "/web/health on its HTTP port"
                elif self.gevent_port and not self.answers(self.gevent_port):
                    waiting_for = f"/web/health on its gevent (websocket) port {self.gevent_port}"
                elif ready is not None and not ready():
                    waiting_for = "its readiness check"
                else:
                    return
            except Exception as error:  # noqa: BLE001 - ready() raises while the server starts
                waiting_for = f"its readiness check ({type(error).__name__}: {error})"
            if time.monotonic() >= deadline:
                self._fail(f"Odoo did not answer on {self.url} within {timeout:.0f}s: waiting for {waiting_for}")
            time.sleep(0.5)

    def _fail(self, reason):
        raise OdooStartError(
            f"{reason}\ncommand: {shlex.join(self.command)}\n"
            f"last lines of its log {self.logfile}:\n{log_tail(self.logfile)}",
            self.logfile,
        )

    def stop(self, timeout=30):
        """SIGTERM to the server's process group (master, workers, gevent process), SIGKILL
        after ``timeout`` seconds. Also when the master has already ended: its children may not."""
        if not self.process:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + (timeout if self.process.returncode is None else 5)
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def group_alive(self):
        """Whether a process of the server's group is still running."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def log_text(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=60):
        return log_tail(self.logfile, lines)
