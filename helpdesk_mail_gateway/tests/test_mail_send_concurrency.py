"""Two workers sending the same outgoing mail at once, in real, separate
transactions (the post-commit sending of a notification and the mail queue
cron), through a real SMTP server on loopback (aiosmtpd). The mails and the
outgoing server record are committed, and removed at the end."""

import socket
import threading

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests.common import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestMailSendConcurrency(BaseCase):
    def _cursor(self):
        return db_connect(get_db_name()).cursor()

    def _mails(self, cr, ids=None):
        mails = api.Environment(cr, SUPERUSER_ID, {})["mail.mail"]
        return mails.browse(ids if ids is not None else self.mail_ids)

    def _state(self, mail_id):
        with self._cursor() as cr:
            cr.execute("SELECT state FROM mail_mail WHERE id = %s", [mail_id])
            return cr.fetchone()[0]

    def _start_smtp(self):
        from aiosmtpd.controller import Controller  # noqa: PLC0415 - test dependency

        received, lock = self.received, threading.Lock()

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
                with lock:
                    received.extend(envelope.rcpt_tos)
                return "250 Message accepted"

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        controller.start()
        self.addCleanup(controller.stop)
        return port

    def setUp(self):
        super().setUp()
        self.received = []
        port = self._start_smtp()
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # the only outgoing server while the test runs
            self.other_servers = env["ir.mail_server"].search([])
            self.other_servers.active = False
            # and no mail scheduler of this process (cron threads) sending the mails
            # the test hands to its two workers
            self.scheduler = env.ref("mail.ir_cron_mail_scheduler_action")
            self.scheduler_was_active = self.scheduler.active
            self.scheduler.active = False
            self.server = env["ir.mail_server"].create({
                "name": "Concurrent sending test", "smtp_host": "127.0.0.1", "smtp_port": port,
                "smtp_encryption": "none",
            })
            mails = self._mails(cr, []).create([{
                "subject": f"Concurrent sending {i}",
                "body_html": "<p>Your ticket HD-1 was updated.</p>",
                "email_to": f"customer{i}@example.com",
                "auto_delete": False,
            } for i in range(4)])
            self.mail_ids = mails.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._cursor() as cr:
            self._mails(cr).unlink()
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.mail_server"].browse(self.server.id).unlink()
            env["ir.mail_server"].browse(self.other_servers.ids).active = True
            env["ir.cron"].browse(self.scheduler.id).active = self.scheduler_was_active

    def assertDeliveredOnce(self, mail_id, index):
        self.assertEqual(self._state(mail_id), "sent")
        self.assertEqual(self.received.count(f"customer{index}@example.com"), 1, "delivered exactly once")

    def test_mail_locked_by_another_sender_is_skipped(self):
        first = self.mail_ids[0]
        with self._cursor() as cr1, self._cursor() as cr2:
            # worker 1 sends the mail and has not committed yet
            self._mails(cr1, [first]).send()
            # worker 2 (e.g. the queue) does not wait for it, nor write it
            cr2.execute("SET LOCAL lock_timeout = '5s'")
            self._mails(cr2, [first]).send()
            cr2.execute("SELECT state FROM mail_mail WHERE id = %s", [first])
            self.assertEqual(cr2.fetchone()[0], "outgoing", "worker 2 left the mail alone")
            cr2.commit()
            cr1.commit()
        self.assertDeliveredOnce(first, 0)

    def test_mail_sent_after_snapshot_is_skipped(self):
        mail_id = self.mail_ids[1]
        with self._cursor() as cr1, self._cursor() as cr2:
            # worker 2 has started its transaction (its snapshot sees the mail outgoing)
            cr2.execute("SELECT state FROM mail_mail WHERE id = %s", [mail_id])
            self.assertEqual(cr2.fetchone()[0], "outgoing")
            # worker 1 sends it and commits
            self._mails(cr1, [mail_id]).send()
            cr1.commit()
            # worker 2 then tries: no serialization error, nothing sent twice
            self._mails(cr2, [mail_id]).send()
            cr2.commit()
        self.assertDeliveredOnce(mail_id, 1)

    def test_queue_skips_locked_mail_and_sends_the_others(self):
        locked, free = self.mail_ids[2], self.mail_ids[3]
        with self._cursor() as cr1, self._cursor() as cr2:
            self._mails(cr1, [locked]).send()
            cr2.execute("SET LOCAL lock_timeout = '5s'")
            # the queue commits after every mail
            self._mails(cr2, [locked, free]).send(auto_commit=True)
            self.assertDeliveredOnce(free, 3)
            self.assertEqual(self._state(locked), "outgoing", "the locked one is left to worker 1")
            cr1.commit()
        self.assertDeliveredOnce(locked, 2)
