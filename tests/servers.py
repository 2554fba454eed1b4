"""Loopback servers of the end-to-end tests: Debian's dovecot serving one maildir over IMAP,
an aiosmtpd server keeping what Odoo sends, and what every server process needs (a free
port, stopping its process group). Used by test_mail_e2e.py and by odoo_server.py."""
import contextlib
import email
import email.policy
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process, timeout=10):
    """SIGTERM to the process group of ``process`` (started with ``start_new_session=True``),
    SIGKILL when it has not ended after ``timeout`` seconds."""
    if not process or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class ImapServer:
    """``dovecot -F`` with a generated configuration: IMAP only, no TLS, one passwd-file
    user whose maildir lives in ``workdir``. As root, mail is owned by ``nobody``."""

    def __init__(self, workdir, user="support", password="imap-pass"):
        self.workdir = Path(workdir)
        self.user = user
        self.password = password
        self.port = free_port()
        self.process = None
        if os.getuid() == 0:
            entry = pwd.getpwnam("nobody")
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()

    @staticmethod
    def available():
        return os.path.exists(DOVECOT)

    def _config(self):
        work = self.workdir
        account = pwd.getpwuid(self.uid).pw_name
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {work}/run
state_dir = {work}/state
log_path = {work}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:{work}/maildir/%u
mail_uid = {self.uid}
mail_gid = {self.gid}
first_valid_uid = 0
first_valid_gid = 0
default_internal_user = {account}
default_login_user = {account}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {work}/users
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={work}/maildir/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def start(self, timeout=30):
        work = self.workdir
        for sub in ("run", "state", f"maildir/{self.user}/cur", f"maildir/{self.user}/new", f"maildir/{self.user}/tmp"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        (work / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (work / "dovecot.conf").write_text(self._config())
        os.chmod(work, 0o755)
        for path in [work / "maildir", *(work / "maildir").rglob("*")]:
            os.chown(path, self.uid, self.gid)
        stderr = open(work / "dovecot.stderr", "wb")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(work / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dovecot stopped: %s" % self.logs())
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.2)
        raise RuntimeError("dovecot does not listen: %s" % self.logs())

    def logs(self):
        texts = []
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self.workdir / name
            if path.exists():
                texts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(texts)

    def stop(self):
        stop_process_group(self.process)

    def fetchmail_values(self, name, model_id):
        """Values of a ``fetchmail.server`` reading this server's INBOX into ``model_id``."""
        return {
            "name": name, "server_type": "imap", "server": "127.0.0.1", "port": self.port, "is_ssl": False,
            "user": self.user, "password": self.password, "object_id": model_id,
        }

    # -- client side ----------------------------------------------------
    @contextlib.contextmanager
    def client(self):
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            imap.login(self.user, self.password)
            imap.select("INBOX")
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def append(self, raw):
        """Store a mail in the INBOX, unseen (what the MTA's delivery agent does)."""
        with self.client() as imap:
            status, _data = imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", status

    def messages(self):
        """{Message-Id: set of flags} of every mail in the INBOX."""
        result = {}
        with self.client() as imap:
            _status, data = imap.search(None, "ALL")
            for num in data[0].split():
                _status, parts = imap.fetch(num, "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                flags = imaplib.ParseFlags(parts[0][0]) if parts and isinstance(parts[0], tuple) else ()
                header = email.message_from_bytes(parts[0][1]) if parts and isinstance(parts[0], tuple) else {}
                result[str(header.get("Message-Id", "")).strip()] = {flag.decode() for flag in flags}
        return result


class SmtpCapture:
    """aiosmtpd on a loopback port; every mail received is kept, parsed."""

    def __init__(self):
        self.port = free_port()
        self.received = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller  # noqa: PLC0415 - optional test dependency

        capture = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with capture._lock:
                    capture.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 Message accepted"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()

    def mail_server_values(self, name, sequence=1):
        """Values of an ``ir.mail_server`` sending through this server."""
        return {
            "name": name, "smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_encryption": "none",
            "sequence": sequence,
        }

    def messages(self):
        with self._lock:
            return list(self.received)


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)
