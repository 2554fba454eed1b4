"""Real processes for the end-to-end tests: a throwaway PostgreSQL cluster, a multi-worker
Odoo server on loopback and HTTP sessions with CSRF; the IMAP (dovecot) and SMTP servers
come from servers.py. Odoo is started, waited for and stopped by scripts/odoo_process.py,
the helper the benchmarks' portal server uses too.

Nothing here uses the pytest-odoo test database: the cluster is private, so that it
can be stopped and restarted without touching the main test process.

Usable outside pytest too::

    with OdooStack(addons="helpdesk_ticket,helpdesk_portal") as stack:
        stack.start_server()
        print(stack.server.url)
"""
import contextlib
import email.utils
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

import psutil
import psycopg2
import requests
from requests.adapters import HTTPAdapter

from servers import ImapServer, SmtpCapture, free_port

_logger = logging.getLogger(__name__)

REPO_DIR = Path(os.environ.get("HELPDESK_REPO_DIR") or Path(__file__).resolve().parent.parent)
#: the environment of the test session as it started (this module is imported at collection):
#: the Odoo processes of the stack start in the background while the addons' own tests run,
#: and some of those set variables for one test class (helpdesk_gateway's HTTPS interception:
#: HTTPS_PROXY, SSL_CERT_FILE naming a CA file removed after the class). A server started
#: with them would send its provider calls to a proxy that is gone, or fail to read the CA.
SESSION_ENVIRON = dict(os.environ)
if str(REPO_DIR / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO_DIR / "scripts"))

from odoo_process import OdooProcess, keep_logs_only, log_tail, odoo_command  # noqa: E402

PGCLUSTER = REPO_DIR / "scripts" / "pgcluster.sh"
PYTHON = os.environ.get("PYTHON", sys.executable)
RUN_USER = os.environ.get("PG_RUN_USER", "nobody")
ADMIN_PASSWORD = "admin"


def repo_addons():
    """Addons to install: HELPDESK_TEST_ADDONS (set by scripts/test.sh), else every
    installable addon of the repository."""
    wanted = os.environ.get("HELPDESK_TEST_ADDONS")
    if wanted:
        return [name.strip() for name in wanted.split(",") if name.strip()]
    names = []
    for manifest in sorted(REPO_DIR.glob("*/__manifest__.py")):
        text = manifest.read_text()
        if re.search(r"[\"']installable[\"']\s*:\s*False", text):
            continue
        names.append(manifest.parent.name)
    return names


def odoo_addons_path():
    """Odoo's own addons folders, pip-installed addons (OCA's mail_gateway...) and this
    repository (explicit, like scripts/common.sh: scripts/addons_dirs.py)."""
    from addons_dirs import odoo_addons_dirs  # noqa: PLC0415 - imports odoo

    return ",".join(odoo_addons_dirs(exclude=[REPO_DIR])) + f",{REPO_DIR}"


def _chown_for_postgres(path):
    """PostgreSQL runs as an unprivileged user when we are root: let it traverse ``path``."""
    if os.getuid() == 0:
        os.chmod(path, 0o755)


# ----------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------
class PgCluster:
    """A private cluster driven by scripts/pgcluster.sh (works as root too)."""

    def __init__(self, directory, port=None):
        self.directory = Path(directory)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = "odoo"

    def start(self):
        subprocess.run([str(PGCLUSTER), "start", str(self.directory), str(self.port)], check=True)

    def stop(self):
        subprocess.run([str(PGCLUSTER), "stop", str(self.directory)], check=False)

    def restart(self, pause=1.0):
        self.stop()
        time.sleep(pause)
        self.start()

    def connect(self, dbname="postgres", autocommit=True):
        cnx = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=dbname)
        cnx.autocommit = autocommit
        return cnx

    def query(self, dbname, sql, params=None):
        """Run one statement in its own connection; rows of a SELECT, else None."""
        with contextlib.closing(self.connect(dbname)) as cnx, cnx.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None

    def backend_pids(self, dbname):
        rows = self.query(
            "postgres", "SELECT pid, client_port, state, wait_event_type FROM pg_stat_activity WHERE datname = %s",
            [dbname],
        )
        return rows


# ----------------------------------------------------------------------
# Odoo
# ----------------------------------------------------------------------
class OdooServer:
    """Odoo with workers (scripts/odoo_process.py), on loopback, against ``cluster``/``db``."""

    def __init__(self, workdir, cluster, db, addons):
        self.workdir = Path(workdir)
        self.cluster = cluster
        self.db = db
        self.addons = list(addons)
        self.conf = self.workdir / "odoo.conf"
        self.logfile = self.workdir / "odoo.log"
        self.odoo = None  # the OdooProcess, once started
        self.process = None  # its master (subprocess.Popen)
        self._local = threading.local()
        self._uid = None

    @property
    def url(self):
        return self.odoo.url if self.odoo else None

    def write_conf(self):
        data_dir = self.workdir / "data"
        data_dir.mkdir(exist_ok=True)
        self.conf.write_text(
            "[options]\n"
            f"db_host = {self.cluster.host}\n"
            f"db_port = {self.cluster.port}\n"
            f"db_user = {self.cluster.user}\n"
            "db_password = False\n"
            f"data_dir = {data_dir}\n"
            f"addons_path = {odoo_addons_path()}\n"
            "http_interface = 127.0.0.1\n"
            "list_db = False\n"
            "proxy_mode = False\n"
        )

    def install(self):
        """Create the database with the addons, without demo data."""
        self.write_conf()
        log = self.workdir / "install.log"
        with open(log, "wb") as out:
            rc = subprocess.run(
                odoo_command("-c", self.conf, "-d", self.db, "-i", ",".join(self.addons),
                             "--without-demo=all", "--stop-after-init", "--log-level=warn", python=PYTHON),
                stdout=out, stderr=subprocess.STDOUT, check=False, env=SESSION_ENVIRON,
            ).returncode
        text = log.read_text(errors="replace")
        if rc or re.search(r" (ERROR|CRITICAL) ", text):
            raise RuntimeError(f"installing {self.addons} failed (rc={rc}), log {log}:\n{log_tail(log)}")

    def start(self, workers=4, cron_threads=2, timeout=120):
        env = dict(SESSION_ENVIRON, ODOO_NOTIFY_CRON_CHANGES="1")
        env.pop("HELPDESK_ODOO_CONF", None)
        self.odoo = OdooProcess.prefork(
            self.conf, self.db, self.logfile, workers=workers, cron_threads=cron_threads, env=env, python=PYTHON,
            extra_args=["--log-level=info", "--limit-time-real=300", "--limit-time-cpu=200"],
        )
        try:
            self.odoo.start(timeout=timeout, ready=self._admin_login)
        finally:
            self.process = self.odoo.process

    def _admin_login(self):
        self._uid = self.common().authenticate(self.db, "admin", ADMIN_PASSWORD, {})
        return bool(self._uid)

    def wait_healthy(self, timeout=120):
        """Wait until /web/health answers (HTTP and gevent ports) and the database serves an
        RPC login; OdooStartError (with the log's last lines) otherwise."""
        self.odoo.wait_ready(timeout=timeout, ready=self._admin_login)

    def stop(self):
        if self.odoo:
            self.odoo.stop(timeout=30)

    def log_tail(self, lines=60):
        return log_tail(self.logfile, lines)

    def log_text(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self):
        try:
            return self.logfile.stat().st_size
        except FileNotFoundError:
            return 0

    @staticmethod
    def classify_log(text):
        """(errors, retried) of a log extract: ERROR/CRITICAL records, except the "bad query"
        records of serialization failures and deadlocks that Odoo retries (counted apart)."""
        errors, retried = [], 0
        concurrency = re.compile(r"could not serialize access|deadlock detected|lock not available")
        records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ )", text)
        # Odoo's mail queue (mail.mail._send) catches a concurrency error of its own
        # transaction (the flush of a mail's notifications) like any error, then fails on
        # the aborted transaction: the cron run is rolled back and the next run sends the
        # mail (the callers assert that no mail ends in exception). Its records are counted
        # apart when, and only when, the error that started them was a concurrency error.
        queue_conflict = any(
            "odoo.addons.mail.models.mail_mail" in record and concurrency.search(record) for record in records
        )
        for record in records:
            if not re.match(r"\S+ \S+ \d+ (ERROR|CRITICAL) ", record):
                continue
            if "bad query" in record and concurrency.search(record):
                retried += 1
                continue
            if queue_conflict and (
                ("odoo.addons.mail.models.mail_mail" in record and concurrency.search(record))
                or ("InFailedSqlTransaction" in record and (
                    "mail_mail" in record or "Mail: Email Queue Manager" in record))
            ):
                retried += 1
                continue
            errors.append(record)
        return errors, retried

    def log_since(self, offset):
        with open(self.logfile, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    # -- processes -------------------------------------------------------
    def worker_processes(self, kind="WorkerHTTP"):
        """Live worker processes of ``kind`` (WorkerHTTP or WorkerCron), children of the master."""
        announced = {int(pid) for pid in re.findall(rf"Worker {kind} \((\d+)\) alive", self.log_text())}
        master = psutil.Process(self.process.pid)
        return [child for child in master.children(recursive=False)
                if child.pid in announced and child.is_running() and child.status() != psutil.STATUS_ZOMBIE]

    def process_of_backend(self, client_port):
        """The Odoo process whose PostgreSQL connection uses local port ``client_port``."""
        master = psutil.Process(self.process.pid)
        for proc in [master, *master.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                connections = getattr(proc, "net_connections", None) or proc.connections
                for conn in connections(kind="tcp"):
                    if conn.laddr and conn.laddr.port == client_port and conn.raddr \
                            and conn.raddr.port == self.cluster.port:
                        return proc
        return None

    # -- XML-RPC ---------------------------------------------------------
    def common(self):
        return xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common", allow_none=True)

    def _object_proxy(self):
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
            self._local.proxy = proxy
        return proxy

    def execute(self, model, method, *args, **kwargs):
        """execute_kw as admin (one proxy per thread: ServerProxy is not thread-safe)."""
        return self._object_proxy().execute_kw(self.db, self._uid, ADMIN_PASSWORD, model, method, list(args), kwargs)

    def execute_as(self, login, password, model, method, *args, **kwargs):
        uid = self.common().authenticate(self.db, login, password, {})
        return self._object_proxy().execute_kw(self.db, uid, password, model, method, list(args), kwargs)

    def ref(self, xmlid):
        module, name = xmlid.split(".", 1)
        rows = self.execute("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)],
                            fields=["res_id"], limit=1)
        if not rows:
            raise KeyError(xmlid)
        return rows[0]["res_id"]

    def process_mail(self, raw, model=False, retry=True):
        """Deliver one mail like odoo-mailgate.py does (alias routing when model is False).

        ``retry=False``: one HTTP request only (xmlrpc.client silently sends a request again
        when the connection was reset, which hides a worker dying under the request)."""
        if isinstance(raw, str):
            raw = raw.encode()
        if retry:
            return self.execute("mail.thread", "message_process", model, xmlrpc.client.Binary(raw))
        body = xmlrpc.client.dumps(
            (self.db, self._uid, ADMIN_PASSWORD, "mail.thread", "message_process",
             [model, xmlrpc.client.Binary(raw)], {}),
            "execute_kw", allow_none=True,
        )
        response = requests.post(f"{self.url}/xmlrpc/2/object", data=body,
                                 headers={"Content-Type": "text/xml", "Connection": "close"}, timeout=300)
        response.raise_for_status()
        return xmlrpc.client.loads(response.content, use_builtin_types=True)[0][0]

    def flush_mail_queue(self, attempts=20):
        """Send the outgoing mail queue now (the mail scheduler cron, run in a worker)."""
        cron_id = self.ref("mail.ir_cron_mail_scheduler_action")
        for _attempt in range(attempts):
            try:
                self.execute("ir.cron", "method_direct_trigger", [cron_id])
            except xmlrpc.client.Fault as fault:
                if "currently being executed" not in fault.faultString:
                    raise
                time.sleep(1)
                continue
            if not self.execute("mail.mail", "search_count", [("state", "=", "outgoing")]):
                return True
        return False

    def set_param(self, key, value):
        return self.execute("ir.config_parameter", "set_param", key, value)

    def query(self, sql, params=None):
        return self.cluster.query(self.db, sql, params)


# ----------------------------------------------------------------------
# HTTP sessions
# ----------------------------------------------------------------------
class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source_address, **kwargs):
        self._source_address = (source_address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self._source_address
        return super().init_poolmanager(*args, **kwargs)


_CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"|csrf_token\s*[:=]\s*"([^"]+)"')


class WebSession(requests.Session):
    """A browser-like session against ``server``, optionally from another loopback
    address (127.0.0.x) so that the server sees a different client IP."""

    def __init__(self, server, source_address=None):
        super().__init__()
        self.server = server
        if source_address:
            adapter = _SourceAddressAdapter(source_address)
            self.mount("http://", adapter)

    def abs(self, path):
        return path if path.startswith("http") else f"{self.server.url}{path}"

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 120)
        return super().get(self.abs(path), **kwargs)

    def post(self, path, **kwargs):
        kwargs.setdefault("timeout", 120)
        return super().post(self.abs(path), **kwargs)

    @staticmethod
    def csrf_from(html):
        match = _CSRF_RE.search(html)
        if not match:
            raise AssertionError("no csrf_token in the page")
        return match.group(1) or match.group(2)

    def csrf(self, path):
        response = self.get(path)
        response.raise_for_status()
        return self.csrf_from(response.text)

    def login(self, login, password):
        token = self.csrf("/web/login")
        response = self.post("/web/login", data={"login": login, "password": password, "csrf_token": token,
                                                  "redirect": "/my"}, allow_redirects=False)
        if response.status_code not in (302, 303):
            raise AssertionError(f"login of {login} failed: {response.status_code}")
        return self


# ----------------------------------------------------------------------
# Everything together
# ----------------------------------------------------------------------
class ProcessStack:
    """A set of processes started for a test module (``setup``), stopped in order by
    ``teardown`` (``_teardown_steps``); used as a context manager. Its work folder,
    when made here, is removed, or, with ``keep_logs`` (a failed run), everything in
    it but the logs (Odoo, its install, PostgreSQL, dovecot)."""

    label = "stack"
    _own_workdir = False
    workdir = None

    def setup(self):
        raise NotImplementedError

    def _teardown_steps(self):
        return ()

    def teardown(self, keep_logs=False):
        for step in self._teardown_steps():
            try:
                step()
            except Exception:  # noqa: BLE001 - stop everything we can
                _logger.exception("[%s] teardown step failed", self.label)
        if self._own_workdir and not os.environ.get("KEEP_E2E"):
            if keep_logs:
                keep_logs_only(self.workdir)
                print(f"\n[{self.label}] the run failed: logs kept in {self.workdir}")
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.setup()
        except BaseException:
            self.teardown(keep_logs=True)
            raise

    def __exit__(self, exc_type, *exc):
        self.teardown(keep_logs=exc_type is not None)


class OdooStack(ProcessStack):
    """Private cluster + database + multi-worker server (+ IMAP and SMTP on demand)."""

    def __init__(self, addons=None, workdir=None, db="helpdesk_e2e"):
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="helpdesk-e2e-"))
        _chown_for_postgres(self.workdir)
        self.cluster = PgCluster(self.workdir / "pg")
        self.server = OdooServer(self.workdir / "odoo", self.cluster, db, addons or repo_addons())
        (self.workdir / "odoo").mkdir(exist_ok=True)
        self.smtp = None
        self.imap = None

    def setup(self):
        started = time.monotonic()
        self.cluster.start()
        exists = self.cluster.query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [self.server.db])
        if exists:  # a kept work directory (HELPDESK_E2E_WORKDIR): reuse the database
            self.server.write_conf()
        else:
            self.server.install()
        installed = time.monotonic()
        self.smtp = SmtpCapture().start()
        self.server.start()
        self.server.execute("ir.mail_server", "search", [("name", "=", "test sink")]) and \
            self.server.execute("ir.mail_server", "unlink", self.server.execute(
                "ir.mail_server", "search", [("name", "=", "test sink")]))
        self.server.execute("ir.mail_server", "create", self.smtp.mail_server_values("test sink"))
        print(f"\n[e2e] private cluster :{self.cluster.port}, odoo {self.server.url} "
              f"(install {installed - started:.0f}s, start {time.monotonic() - installed:.0f}s)")
        return self

    def start_imap(self):
        if not self.imap:
            shutil.rmtree(self.workdir / "imap", ignore_errors=True)
            self.imap = ImapServer(self.workdir / "imap").start()
        return self.imap

    label = "e2e"

    def _teardown_steps(self):
        return (
            lambda: self.server.stop(),
            lambda: self.imap and self.imap.stop(),
            lambda: self.smtp and self.smtp.stop(),
            lambda: self.cluster.stop(),
        )


# ----------------------------------------------------------------------
# Data set-up through XML-RPC (as admin)
# ----------------------------------------------------------------------
def is_installed(server, module):
    return bool(server.execute("ir.module.module", "search_count",
                               [("name", "=", module), ("state", "=", "installed")]))


def ensure_alias_domain(server):
    domains = server.execute("mail.alias.domain", "search_read", [], fields=["name"])
    if domains:
        return domains[0]["name"]
    server.execute("mail.alias.domain", "create", {"name": "helpdesk-e2e.test"})
    return "helpdesk-e2e.test"


def create_agents(server, prefix, count):
    group_agent = server.ref("helpdesk_ticket.group_helpdesk_agent")
    return [
        server.execute("res.users", "create", {
            "name": f"{prefix} agent {i}", "login": f"{prefix}_agent_{i}", "password": f"{prefix}_agent_{i}_pw",
            "email": f"{prefix}.agent{i}@agents.example", "groups_id": [(6, 0, [group_agent])],
        })
        for i in range(count)
    ]


def create_portal_users(server, prefix, count):
    group_portal = server.ref("base.group_portal")
    users = []
    for i in range(count):
        login = f"{prefix}.customer{i}@customers.example"
        password = f"{prefix}-customer-{i}-pw"
        server.execute("res.users", "create", {
            "name": f"{prefix} customer {i}", "login": login, "password": password, "email": login,
            "groups_id": [(6, 0, [group_portal])],
        })
        users.append((login, password))
    return users


def create_24_7_calendar(server, name):
    return server.execute("resource.calendar", "create", {
        "name": name, "tz": "UTC",
        "attendance_ids": [(5, 0, 0)] + [
            (0, 0, {"name": f"day {day}", "dayofweek": str(day), "hour_from": 0.0, "hour_to": 24.0,
                    "day_period": "morning"})
            for day in range(7)
        ],
    })


def make_mail(to, sender, subject, body, message_id=None, extra_headers=None):
    """A simple RFC 5322 text mail (bytes)."""
    message_id = message_id or email.utils.make_msgid(domain="customer.example")
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {email.utils.formatdate(localtime=False)}",
        f"Message-Id: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    for key, value in (extra_headers or {}).items():
        lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8"), message_id
