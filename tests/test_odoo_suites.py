"""Odoo's own crm and mail tests, with and without the helpdesk (DESIGN.md, architecture
rule 1: the host stays untouched).

Two databases on the test run's PostgreSQL server (the one of HELPDESK_ODOO_CONF, else a
private cluster), both with demo data:

- *without*: the Odoo addons the helpdesk depends on (the ``depends`` of the repository's
  addons that are not in the repository: crm, portal, rating, resource, base_automation,
  im_livechat, sms) and what they pull in, plus ``test_mail`` (Odoo's test models of the
  mail gateway's tests);
- *with*: a copy of *without* (database and filestore) on which the repository's addons are
  then installed, as when a CRM database gets the helpdesk. The test checks that the
  installed modules differ by the repository's addons and nothing else.

The same selection of Odoo's test files (``SUITES``) then runs on both, each in a pytest-odoo
subprocess with ``--junitxml``. pytest-odoo runs Odoo's test classes whatever their
at_install/post_install tags, so crm's at_install tests run with the helpdesk loaded (Odoo's
``--test-tags`` would run them before the helpdesk is installed). HttpCase tests are skipped
on both sides (no ``--odoo-http``: the selection is about mail flow, not the web client).

Every test must end the same way on both databases: same outcome, and for a failure the same
failing line. Tests that fail on both (e.g. phone formatting without the ``phonenumbers``
library) are environment issues, not the helpdesk's: they are counted, not hidden. A
difference can only be accepted with a written reason in ``KNOWN_DIFFERENCES``.

About 5 to 8 minutes on a busy 2-core machine: the suite of *without* runs while the
helpdesk is installed on *with*, then the suite of *with* runs beside it.
"""
import configparser
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg2
import pytest

from odoo_server import PYTHON, REPO_DIR, PgCluster, _chown_for_postgres, odoo_addons_path, repo_addons
from odoo_process import keep_logs_only, log_tail, odoo_command

# Odoo's test files run on both databases, relative to Odoo's addons folder; chosen for
# what the helpdesk overrides in the host (mail.thread's gateway, mail.alias, crm.lead,
# res.partner) within a few minutes on 2 cores (test_mail's test_message_post.py, 2 minutes,
# is left out: the helpdesk overrides message_post on its own models only)
SUITES = [
    # mail to a CRM alias (mail gateway), new-lead notifications, suggested recipients
    "crm/tests/test_crm_lead_notification.py",
    # lead internals: partner sync, email/phone, tracking, stages
    "crm/tests/test_crm_lead.py",
    # lead to opportunity, partner creation or matching
    "crm/tests/test_crm_lead_convert.py",
    # outgoing mail: sending, failures, recipients
    "mail/tests/test_mail_mail.py",
    # composer: rendering, mass mail, comment
    "mail/tests/test_mail_composer.py",
    # messages: notifications of the author on failure
    "mail/tests/test_mail_message.py",
    # templates: rendering, sending, attachments
    "mail/tests/test_mail_template.py",
    # partners: find_or_create from emails, merge
    "mail/tests/test_res_partner.py",
    # users: creation (partner, notification type)
    "mail/tests/test_res_users.py",
    # Odoo's mail gateway itself: routing, aliases and their contact rules, bounces,
    # auto-replies and loops, replies, references, attachments (test models of test_mail)
    "test_mail/tests/test_mail_gateway.py",
    # aliases: creation, domains, status, sanitising
    "test_mail/tests/test_mail_alias.py",
    # a customer's mail, the reply of an employee, the customer's answer, end to end
    "test_mail/tests/test_mail_flow.py",
]
# installed on both databases for SUITES (Odoo's test models for the mail gateway)
TEST_ADDONS = ["test_mail"]

# Accepted differences, one line each: "<module.Class::test>": "why it is not a change of
# Odoo's behaviour by the helpdesk" (the summary says when an entry no longer differs).
KNOWN_DIFFERENCES = {
    "test_mail.tests.test_mail_alias.TestMailAlias::test_search":
        "demo data, lead told: helpdesk_mail_gateway's demo makes the first mail.alias.domain "
        "(helpdesk.example.com), which Odoo then gives to the existing aliases (CRM's 'info'): the test "
        "expects no alias outside its own domain",
}

INSTALL_TIMEOUT = 1200
SUITE_TIMEOUT = 1500


def _all_repo_addons():
    """Every installable addon of the repository (whatever HELPDESK_TEST_ADDONS says)."""
    names = []
    for manifest in sorted(REPO_DIR.glob("*/__manifest__.py")):
        if not re.search(r"[\"']installable[\"']\s*:\s*False", manifest.read_text()):
            names.append(manifest.parent.name)
    return names


def _skip_reason():
    missing = set(_all_repo_addons()) - set(repo_addons())
    if missing:
        return (f"Odoo's suites are compared with every addon of the repository installed; "
                f"missing {', '.join(sorted(missing))} (HELPDESK_TEST_ADDONS)")
    return None


def _host_addons(addons):
    """The ``depends`` of ``addons`` that are not repository addons: what the database
    without the helpdesk gets."""
    import ast  # noqa: PLC0415

    host = set()
    for name in addons:
        manifest = ast.literal_eval((REPO_DIR / name / "__manifest__.py").read_text())
        host.update(dep for dep in manifest.get("depends", []) if dep not in addons)
    return sorted(host)


def _odoo_addons_dir():
    import odoo  # noqa: PLC0415

    return Path(odoo.__file__).resolve().parent.parent / "addons"


class _Server:
    """Where the two databases live: the run's PostgreSQL server (HELPDESK_ODOO_CONF, as
    written by scripts/test.sh), else a private cluster under ``workdir``."""

    def __init__(self, workdir):
        self.cluster = None
        conf = os.environ.get("HELPDESK_ODOO_CONF")
        options = {}
        if conf and Path(conf).is_file():
            parser = configparser.ConfigParser()
            parser.read(conf)
            options = dict(parser["options"]) if parser.has_section("options") else {}
        if options.get("db_host") not in (None, "", "False"):
            self.host = options["db_host"]
            self.port = int(options.get("db_port") or 5432)
            self.user = options.get("db_user") or "odoo"
            password = options.get("db_password")
            self.password = None if password in (None, "", "False") else password
        else:
            self.cluster = PgCluster(workdir / "pg")
            self.cluster.start()
            self.host, self.port, self.user, self.password = (self.cluster.host, self.cluster.port,
                                                              self.cluster.user, None)

    def execute(self, sql):
        cnx = psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname="postgres")
        cnx.autocommit = True
        try:
            with cnx.cursor() as cr:
                cr.execute(sql)
                return cr.fetchall() if cr.description else None
        finally:
            cnx.close()

    def query(self, dbname, sql):
        cnx = psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=dbname)
        try:
            with cnx.cursor() as cr:
                cr.execute(sql)
                return cr.fetchall()
        finally:
            cnx.close()

    def write_conf(self, path, data_dir):
        path.write_text(
            "[options]\n"
            f"db_host = {self.host}\n"
            f"db_port = {self.port}\n"
            f"db_user = {self.user}\n"
            f"db_password = {self.password or False}\n"
            f"data_dir = {data_dir}\n"
            f"addons_path = {odoo_addons_path()}\n"
            "list_db = False\n"
            "without_demo = False\n"
        )

    def drop(self, dbname):
        self.execute(f'DROP DATABASE IF EXISTS "{dbname}"')

    def stop(self):
        if self.cluster:
            self.cluster.stop()


def _child_env():
    env = dict(os.environ)
    # the child is a pytest-odoo run of its own, on the database given on its command line
    for name in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                 "PYTEST_CURRENT_TEST", "ODOO_RC", "OPENERP_SERVER", "HELPDESK_ODOO_CONF"):
        env.pop(name, None)
    return env


def _install(conf, db, modules, logfile):
    with open(logfile, "wb") as out:
        rc = subprocess.run(
            odoo_command("-c", conf, "-d", db, "-i", ",".join(modules), "--stop-after-init",
                         "--log-level=warn", python=PYTHON),
            stdout=out, stderr=subprocess.STDOUT, env=_child_env(), timeout=INSTALL_TIMEOUT, check=False,
        ).returncode
    text = logfile.read_text(errors="replace")
    if rc or re.search(r" (ERROR|CRITICAL) ", text):
        raise AssertionError(f"installing {modules} into {db} failed (rc={rc}), log {logfile}:\n{log_tail(logfile)}")


def _start_suite(conf, db, workdir, addons_dir):
    """pytest-odoo on ``db`` with SUITES, in the background: (process, junit file, log file)."""
    junit = workdir / f"{db}.junit.xml"
    logfile = workdir / f"{db}.suite.log"
    command = [
        PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-c", os.devnull, f"--rootdir={addons_dir}",
        f"--odoo-config={conf}", f"--odoo-database={db}", f"--junitxml={junit}",
        *(str(addons_dir / suite) for suite in SUITES),
    ]
    out = open(logfile, "wb")  # noqa: SIM115 - closed in _wait_suite
    # not in Odoo's addons folder: its "calendar" addon would shadow the standard library's
    process = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, env=_child_env())
    process.logfile_handle = out
    return process, junit, logfile


def _wait_suite(started):
    process, junit, logfile = started
    try:
        process.wait(timeout=SUITE_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"Odoo's suites did not finish in {SUITE_TIMEOUT}s, log {logfile}") from None
    finally:
        process.logfile_handle.close()
    # pytest: 0 all passed, 1 some failed; anything else (usage, internal or collection error)
    # means the suites did not run
    if process.returncode not in (0, 1) or not junit.is_file():
        raise AssertionError(f"pytest-odoo failed (rc={process.returncode}), log {logfile}:\n{log_tail(logfile)}")
    return _outcomes(junit)


_LOCATION = re.compile(r"^(/\S+\.py):(\d+):", re.MULTILINE)


def _outcomes(junit):
    """{"module.Class::test": "passed" | "skipped" | "failed at file:line" | "error at ..."}
    from a JUnit report; the failing line is the last frame of each failure's traceback
    (paths shortened to the addons folder they are in)."""
    results = {}
    for case in ET.parse(junit).iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        problems = [child for child in case if child.tag in ("failure", "error")]
        if problems:
            kinds = sorted({"failed" if child.tag == "failure" else "error" for child in problems})
            places = []
            for child in problems:
                found = _LOCATION.findall(child.text or "")
                # the last frame in an addon (Odoo's or ours) rather than in unittest.mock
                found = [item for item in found if "/addons/" in item[0] or item[0].startswith(str(REPO_DIR))] or found
                if found:
                    path, line = found[-1]
                    places.append(f"{re.sub(r'^.*/addons/|^.*/main/', '', path)}:{line}")
            results[key] = f"{'+'.join(kinds)} at {', '.join(sorted(set(places))) or '?'}"
        elif any(child.tag == "skipped" for child in case):
            results[key] = "skipped"
        else:
            results[key] = "passed"
    return results


def _installed_modules(server, db):
    return {name for (name,) in server.query(db, "SELECT name FROM ir_module_module WHERE state = 'installed'")}


def test_odoo_crm_and_mail_suites_same_with_and_without_helpdesk(capsys):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    addons_dir = _odoo_addons_dir()
    missing = [suite for suite in SUITES if not (addons_dir / suite).is_file()]
    assert not missing, f"Odoo's test files not found in {addons_dir}: {missing}"

    addons = _all_repo_addons()
    host = _host_addons(addons)
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-odoo-suites-"))
    _chown_for_postgres(workdir)
    server = _Server(workdir)
    tag = f"{os.getpid()}"
    without, with_ = f"hd_suites_{tag}_without", f"hd_suites_{tag}_with"
    conf = workdir / "odoo.conf"
    data_dir = workdir / "data"
    server.write_conf(conf, data_dir)
    ok = False
    timings = {}
    running = []  # suites started, stopped in the end whatever happens
    try:
        begin = time.monotonic()
        _install(conf, without, host + TEST_ADDONS, workdir / "install_without.log")
        timings["install without"] = time.monotonic() - begin

        # the same database, then the helpdesk on top (no session may use the template)
        server.execute(f'CREATE DATABASE "{with_}" TEMPLATE "{without}"')
        filestore = data_dir / "filestore"
        if (filestore / without).is_dir():
            shutil.copytree(filestore / without, filestore / with_)

        begin = time.monotonic()
        suite_without = _start_suite(conf, without, workdir, addons_dir)
        running.append(suite_without[0])
        _install(conf, with_, addons, workdir / "install_with.log")
        timings["install helpdesk"] = time.monotonic() - begin
        added = _installed_modules(server, with_) - _installed_modules(server, without)
        removed = _installed_modules(server, without) - _installed_modules(server, with_)
        assert added == set(addons) and not removed, (
            f"the two databases must differ by the helpdesk's addons only: added {sorted(added)}, "
            f"missing {sorted(removed)}")
        suite_with = _start_suite(conf, with_, workdir, addons_dir)
        running.append(suite_with[0])
        results_without = _wait_suite(suite_without)
        results_with = _wait_suite(suite_with)
        timings["suites"] = time.monotonic() - begin - timings["install helpdesk"]

        assert results_without, "no test ran without the helpdesk"
        differences, accepted = [], []
        for key in sorted(set(results_without) | set(results_with)):
            before, after = results_without.get(key, "absent"), results_with.get(key, "absent")
            if before == after:
                continue
            line = f"{key}: without the helpdesk {before}, with it {after}"
            (accepted if key in KNOWN_DIFFERENCES else differences).append(
                f"{line} (accepted: {KNOWN_DIFFERENCES[key]})" if key in KNOWN_DIFFERENCES else line)
        stale = sorted(key for key in KNOWN_DIFFERENCES
                       if results_without.get(key) == results_with.get(key))

        counts = {}
        for key, outcome in results_without.items():
            if results_with.get(key) == outcome:
                kind = outcome.split(" ", 1)[0]
                counts[kind] = counts.get(kind, 0) + 1
        both_failing = sorted(f"{key} ({outcome})" for key, outcome in results_without.items()
                              if results_with.get(key) == outcome and outcome not in ("passed", "skipped"))
        summary = [
            f"[odoo-suites] {len(results_without)} tests of Odoo's crm, mail and test_mail ({len(SUITES)} files): "
            f"{sum(counts.values())} with the same outcome with and without the helpdesk "
            f"({', '.join(f'{n} {kind}' for kind, n in sorted(counts.items()))}), "
            f"{len(differences)} different, {len(accepted)} accepted differences",
            "[odoo-suites] " + ", ".join(f"{name} {seconds:.0f}s" for name, seconds in timings.items()),
        ]
        summary += [f"[odoo-suites]   same failure on both (environment): {item}" for item in both_failing]
        summary += [f"[odoo-suites]   accepted: {item}" for item in accepted]
        summary += [f"[odoo-suites]   KNOWN_DIFFERENCES entry no longer differs: {key}" for key in stale]
        summary += [f"[odoo-suites]   DIFFERENT: {item}" for item in differences]
        with capsys.disabled():
            print("\n" + "\n".join(summary))
        assert not differences, (
            "installing the helpdesk changes the outcome of Odoo's own tests (architecture rule 1); "
            f"logs in {workdir}:\n" + "\n".join(differences))
        ok = True
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.logfile_handle.close()
        for db in (with_, without):
            with contextlib.suppress(Exception):
                server.drop(db)
        server.stop()
        if os.environ.get("KEEP_DB"):
            print(f"\n[odoo-suites] work folder kept: {workdir}")
        elif ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            keep_logs_only(workdir)
            print(f"\n[odoo-suites] logs kept in {workdir}")
