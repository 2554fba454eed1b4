"""Fixtures of the cross-addon end-to-end tests.

``odoo_stack`` (session): a private PostgreSQL cluster, a database with the repository's
addons (no demo data) and Odoo running with ``--workers=4 --max-cron-threads=2`` on
loopback (started by scripts/odoo_process.py, like the benchmarks' portal server), plus an
SMTP sink; one server for every multi-worker test. When the session fails, the logs of the
work folder are kept and their folder printed. Installing the addons takes a few minutes
on a small machine, so the setup starts in the background as soon as the collection shows
that a test needs it (while the addons' own tests run).
"""
import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from odoo_server import OdooStack, repo_addons  # noqa: E402

_STACK = {"thread": None, "stack": None, "error": None}


def _setup_stack():
    # HELPDESK_E2E_WORKDIR: keep the cluster and database there between runs (development)
    workdir = os.environ.get("HELPDESK_E2E_WORKDIR")
    stack = OdooStack(db="helpdesk_e2e" if workdir else f"helpdesk_e2e_{os.getpid()}", workdir=workdir)
    _STACK["stack"] = stack
    try:
        stack.setup()
    except BaseException as error:  # noqa: BLE001 - reported by the fixture
        _STACK["error"] = error


def _start_stack_setup():
    if _STACK["thread"] is None:
        thread = threading.Thread(target=_setup_stack, name="odoo-stack-setup", daemon=True)
        _STACK["thread"] = thread
        thread.start()


# what the multi-worker tests exercise; with fewer addons (make test ADDONS=...) they are skipped
# without installing anything
STACK_ADDONS = {"helpdesk_ticket", "helpdesk_portal", "helpdesk_mail_gateway"}


def _stack_skip_reason():
    missing = STACK_ADDONS - set(repo_addons())
    if missing:
        return f"multi-worker tests need {', '.join(sorted(missing))} (HELPDESK_TEST_ADDONS)"
    return None


def pytest_collection_modifyitems(session, config, items):
    if _stack_skip_reason() or config.option.collectonly:
        return
    if any("odoo_stack" in getattr(item, "fixturenames", ()) for item in items):
        _start_stack_setup()


def pytest_sessionfinish(session, exitstatus):
    thread = _STACK["thread"]
    if thread is not None:
        thread.join()
        if _STACK["stack"] is not None:
            # a failed run keeps the server's logs (the work folder, pruned to its *.log)
            _STACK["stack"].teardown(keep_logs=exitstatus != 0 or _STACK["error"] is not None)


@pytest.fixture(scope="session")
def odoo_stack():
    reason = _stack_skip_reason()
    if reason:
        pytest.skip(reason)
    _start_stack_setup()
    _STACK["thread"].join()
    if _STACK["error"] is not None:
        pytest.fail(f"the multi-worker Odoo could not be started: {_STACK['error']}", pytrace=False)
    return _STACK["stack"]
