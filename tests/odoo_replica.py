"""Scale-out stack of the end-to-end tests: a PostgreSQL 15 primary, a streaming replica
made with ``pg_basebackup -R``, and two multi-worker Odoo nodes sharing one data folder
(filestore, sessions), both with ``db_replica_host``/``db_replica_port`` pointing at the
replica. Node A runs the cron workers, node B none (``--max-cron-threads=0``).

Everything is on loopback and private to a work folder; as root, PostgreSQL runs as the
unprivileged user ``PG_RUN_USER`` (default ``nobody``), like scripts/pgcluster.sh. The
replica logs every statement (``log_statement = all``) to ``replica.log``: the tests count
there what the replica served, per Odoo process (``application_name`` is ``odoo-<pid>``).

    with ReplicaStack() as stack:
        print(stack.node_a.url, stack.node_b.url)
"""
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
from odoo_server import (
    PGCLUSTER,
    RUN_USER,
    OdooServer,
    PgCluster,
    ProcessStack,
    _chown_for_postgres,
    odoo_addons_path,
    repo_addons,
)
from servers import SmtpCapture, free_port


def as_postgres_user(command, check=True, **kwargs):
    """Run a PostgreSQL client or server command as the cluster's owner (never root)."""
    if os.getuid() == 0:
        command = ["runuser", "-u", RUN_USER, "--", *command]
    return subprocess.run(command, check=check, **kwargs)


class StandbyCluster(PgCluster):
    """A hot standby of ``primary``: ``pg_basebackup -R`` (writes standby.signal and the
    primary_conninfo), its own port and socket folder, every statement logged."""

    def __init__(self, directory, primary, port=None):
        super().__init__(directory, port)
        self.primary = primary
        self.statement_log = self.directory / "server.log"

    def create(self):
        self.directory.mkdir(parents=True)
        if os.getuid() == 0:
            shutil.chown(self.directory, RUN_USER)
        os.chmod(self.directory, 0o700)
        as_postgres_user([
            "pg_basebackup", "-h", self.primary.host, "-p", str(self.primary.port), "-U", self.primary.user,
            "-D", str(self.directory), "-R", "-X", "stream", "-c", "fast",
        ])
        # later lines win: the copied postgresql.conf names the primary's socket folder
        with open(self.directory / "postgresql.conf", "a") as conf:
            conf.write(
                f"\n# standby of :{self.primary.port}\n"
                f"unix_socket_directories = '{self.directory}'\n"
                "hot_standby = on\n"
                "log_statement = 'all'\n"
                "log_line_prefix = '%m [%p] %d %a: '\n"
            )

    def start(self):
        subprocess.run([str(PGCLUSTER), "start", str(self.directory), str(self.port)], check=True)

    def stop(self, mode="fast"):
        if (self.directory / "postmaster.pid").exists():
            as_postgres_user(["pg_ctl", "-D", str(self.directory), "-m", mode, "-w", "stop"],
                             stdout=subprocess.DEVNULL, check=False)

    def is_running(self):
        try:
            self.query("postgres", "SELECT 1")
        except Exception:  # noqa: BLE001 - refused: stopped
            return False
        return True

    def is_in_recovery(self):
        return self.query("postgres", "SELECT pg_is_in_recovery()")[0][0]

    def wait_caught_up(self, timeout=120):
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self.primary.query("postgres", "SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                behind = self.query("postgres", "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())", [target])
                if behind[0][0] is not None and behind[0][0] <= 0:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"the replica :{self.port} did not catch up with the primary within {timeout}s")

    # -- what it served ---------------------------------------------------
    def log_size(self):
        try:
            return self.statement_log.stat().st_size
        except FileNotFoundError:
            return 0

    def statements_since(self, offset, dbname):
        """[(pid of the Odoo process, statement)] logged for ``dbname`` since ``offset``."""
        with open(self.statement_log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
        pattern = re.compile(
            rf"^\S+ \S+ \S+ \[\d+\] {re.escape(dbname)} odoo-(\d+): LOG:  statement: (.*?)(?=^\S+ \S+ \S+ \[|\Z)",
            re.MULTILINE | re.DOTALL,
        )
        return [(int(pid), statement) for pid, statement in pattern.findall(text)]


class ReplicaNode(OdooServer):
    """An Odoo node of the stack: primary in ``db_host``, replica in ``db_replica_host``,
    the shared data folder."""

    def __init__(self, workdir, cluster, replica, db, addons, data_dir):
        super().__init__(workdir, cluster, db, addons)
        self.replica = replica
        self.data_dir = Path(data_dir)

    def write_conf(self):
        self.data_dir.mkdir(exist_ok=True)
        self.conf.write_text(
            "[options]\n"
            f"db_host = {self.cluster.host}\n"
            f"db_port = {self.cluster.port}\n"
            f"db_user = {self.cluster.user}\n"
            "db_password = False\n"
            f"db_replica_host = {self.replica.host}\n"
            f"db_replica_port = {self.replica.port}\n"
            f"data_dir = {self.data_dir}\n"
            f"addons_path = {odoo_addons_path()}\n"
            "http_interface = 127.0.0.1\n"
            "list_db = False\n"
            "proxy_mode = False\n"
        )

    def pids(self):
        """Pids of the node's processes (master, HTTP and cron workers, gevent)."""
        master = psutil.Process(self.process.pid)
        return {master.pid, *(child.pid for child in master.children(recursive=True))}


class ReplicaStack(ProcessStack):
    """Primary + streaming replica + two Odoo nodes (+ an SMTP sink)."""

    def __init__(self, addons=None, workdir=None, db="helpdesk_scale", workers=2):
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="helpdesk-scale-"))
        _chown_for_postgres(self.workdir)
        self.db = db
        self.workers = workers
        self.addons = addons or repo_addons()
        self.primary = PgCluster(self.workdir / "primary")
        self.replica = StandbyCluster(self.workdir / "replica", self.primary)
        data_dir = self.workdir / "data"
        self.node_a = ReplicaNode(self.workdir / "node_a", self.primary, self.replica, db, self.addons, data_dir)
        self.node_b = ReplicaNode(self.workdir / "node_b", self.primary, self.replica, db, self.addons, data_dir)
        for node in (self.node_a, self.node_b):
            node.workdir.mkdir(exist_ok=True)
        self.smtp = None

    @property
    def nodes(self):
        return (self.node_a, self.node_b)

    def setup(self):
        started = time.monotonic()
        self.primary.start()
        self.node_a.install()  # on the primary; the replica copies the result
        installed = time.monotonic()
        self.replica.create()
        self.replica.start()
        if not self.replica.is_in_recovery():
            raise RuntimeError("the replica is not a standby (pg_basebackup -R)")
        self.node_b.write_conf()
        self.smtp = SmtpCapture().start()
        # node A runs the crons (2 cron workers), node B serves HTTP only
        self.node_a.start(workers=self.workers, cron_threads=2)
        self.node_b.start(workers=self.workers, cron_threads=0)
        self.node_a.execute("ir.mail_server", "create", self.smtp.mail_server_values("scale sink"))
        self.replica.wait_caught_up()
        print(f"\n[scale] primary :{self.primary.port}, replica :{self.replica.port}, nodes {self.node_a.url} "
              f"(crons) and {self.node_b.url} (install {installed - started:.0f}s, "
              f"replica and nodes {time.monotonic() - installed:.0f}s)")
        return self

    def replication_state(self):
        """(state, sync_state) of the replica's WAL receiver seen from the primary."""
        return self.primary.query("postgres", "SELECT state, sync_state FROM pg_stat_replication")

    label = "scale"

    def _teardown_steps(self):
        return (
            self.node_a.stop, self.node_b.stop,
            lambda: self.smtp and self.smtp.stop(),
            self.replica.stop, self.primary.stop,
        )


__all__ = ["ReplicaNode", "ReplicaStack", "StandbyCluster", "free_port"]
