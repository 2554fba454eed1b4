"""How the repository starts Odoo (scripts/odoo_process.py through scripts/odoo_launcher.py):
a prefork server with its gevent process, on a machine whose ``odoo`` console script is
broken (first on the PATH, failing), and what a server that does not answer reports.

No database is needed: /web/health answers without one. One server start (two workers)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from odoo_server import REPO_DIR
from odoo_process import LAUNCHER, OdooProcess, OdooStartError, keep_logs_only, odoo_command


def _conf(folder):
    conf = folder / "odoo.conf"
    conf.write_text(f"[options]\ndata_dir = {folder / 'data'}\nlist_db = False\n")
    return conf


@pytest.fixture
def broken_odoo_script(tmp_path, monkeypatch):
    """An ``odoo`` on the PATH that fails like a console script whose pkg_resources check
    fails, first on the PATH for this test and every process it starts."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "odoo"
    script.write_text("#!/bin/sh\necho \"pkg_resources.DistributionNotFound: (simulated broken odoo script)\" >&2\n"
                      "exit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert subprocess.run(["odoo", "--version"], capture_output=True, check=False).returncode == 1
    return script


def test_launcher_is_the_command_of_scripts_and_helper():
    assert LAUNCHER == REPO_DIR / "scripts" / "odoo_launcher.py"
    assert odoo_command("--version", python="python3") == ["python3", str(LAUNCHER), "--version"]
    assert 'ODOO=("$PYTHON" "$REPO_DIR/scripts/odoo_launcher.py")' in (REPO_DIR / "scripts" / "common.sh").read_text()


def test_prefork_server_without_a_working_odoo_script(broken_odoo_script, tmp_path):
    logfile = tmp_path / "odoo.log"
    version = subprocess.run(odoo_command("--version"), capture_output=True, text=True, check=False)
    assert version.returncode == 0 and "Odoo Server 18.0" in version.stdout, version.stderr

    server = OdooProcess.prefork(_conf(tmp_path), None, logfile, workers=2,
                                 extra_args=["--log-level=info", "--limit-time-real=60"])
    assert server.command[:2] == [sys.executable, str(LAUNCHER)]
    try:
        # start() returns once /web/health answers on the HTTP port and on the gevent port
        server.start(timeout=120)
        assert server.answers(server.http_port)
        assert server.answers(server.gevent_port), "the gevent (websocket) process does not answer"
        log = server.log_text()
        assert "Evented Service (longpolling) running" in log
        assert "Traceback" not in log, log
        assert len(set(re.findall(r"Worker WorkerHTTP \((\d+)\) alive", log))) >= 1
    finally:
        server.stop()
    assert server.returncode is not None
    assert not server.group_alive(), "a process of the server (worker or gevent) outlived stop()"


def test_server_that_does_not_answer_shows_its_log(tmp_path):
    logfile = tmp_path / "work" / "odoo.log"
    server = OdooProcess.prefork(_conf(tmp_path), None, logfile, workers=2,
                                 extra_args=["--limit-time-real=not-a-number"])
    with pytest.raises(OdooStartError) as raised:
        server.start(timeout=60)
    message = str(raised.value)
    assert "exited with code" in message
    assert str(logfile) in message
    # Odoo's own words, from the last lines of the log
    assert "--limit-time-real" in message.split("last lines of its log", 1)[1]

    # a failed run keeps the logs of its work folder, nothing else
    (tmp_path / "work" / "data" / "filestore").mkdir(parents=True)
    (tmp_path / "work" / "data" / "filestore" / "blob").write_bytes(b"x")
    (tmp_path / "work" / "pg").mkdir()
    (tmp_path / "work" / "pg" / "server.log").write_text("pg")
    keep_logs_only(tmp_path / "work")
    kept = sorted(str(path.relative_to(tmp_path / "work")) for path in (tmp_path / "work").rglob("*"))
    assert kept == ["odoo.log", "pg", "pg/server.log"]
