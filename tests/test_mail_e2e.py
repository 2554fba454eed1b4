"""Mail gateway, end to end, with real servers on loopback.

A real IMAP server (Debian's dovecot) holds the mails; Odoo's incoming mail server fetches
them into tickets; the acknowledgement leaves through a real SMTP server (aiosmtpd) where
it is captured; the customer's reply to that acknowledgement threads into the same
ticket; a mail that cannot become a ticket (no sender at all) is held for the managers
(helpdesk.mail.held, with its reason and raw mail) and marked seen like the others: nothing
is downloaded again and again out of sight.

The fetch commits after every mail (that is the point: each mail is kept or left on the
server on its own), so this test works on committed data in its own cursor and removes
everything it created at the end.
"""
import os
import sys
import tempfile
import threading
import unittest
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from unittest.mock import patch

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import ImapServer, SmtpCapture, remove_tree  # noqa: E402


def _new_request(sender, to, subject, body, message_id):
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(timezone.utc))
    mail["Message-ID"] = message_id
    mail.set_content(body)
    return mail.as_bytes()


BROKEN_MAIL = b"""To: %(to)s
Subject: This mail lost every sender header
Message-ID: %(message_id)s
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Nobody can be answered: there is no From, Sender, Reply-To nor Return-Path.
"""


@tagged("post_install", "-at_install", "helpdesk_mail_e2e")
class TestMailGatewayEndToEnd(BaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        if "fetchmail.server" not in cls.registry or "helpdesk.department" not in cls.registry:
            raise unittest.SkipTest("helpdesk_mail_gateway is not installed")
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if not env["ir.module.module"].search_count(
                [("name", "=", "helpdesk_mail_gateway"), ("state", "=", "installed")]
            ):
                raise unittest.SkipTest("helpdesk_mail_gateway is not installed")
        if not ImapServer.available():
            raise unittest.SkipTest("dovecot is not installed (apt-get install dovecot-imapd)")
        cls.workdir = tempfile.mkdtemp(prefix="hd-mail-e2e-")
        cls.imap = ImapServer(cls.workdir).start()
        cls.addClassCleanup(remove_tree, cls.workdir)
        cls.addClassCleanup(cls.imap.stop)
        cls.smtp = SmtpCapture().start()
        cls.addClassCleanup(cls.smtp.stop)

    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8]
        self.domain_name = f"e2e-{self.tag}.example"
        self.alias_address = f"support@{self.domain_name}"
        self.customer_email = f"erin.{self.tag}@e2e-customer.example"
        self.agent_email = f"edna.{self.tag}@e2e-staff.example"
        self.created = {}
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            alias_domain = env["mail.alias.domain"].create({"name": self.domain_name})
            agent = env["res.users"].with_context(no_reset_password=True).create({
                "name": f"Edna Agent {self.tag}",
                "login": f"e2e-agent-{self.tag}",
                "email": self.agent_email,
                "notification_type": "email",
                "groups_id": [Command.link(env.ref("helpdesk_ticket.group_helpdesk_agent").id)],
            })
            department = env["helpdesk.department"].create({
                "name": f"E2E Support {self.tag}",
                "alias_name": "support",
                "alias_domain_id": alias_domain.id,
                "member_ids": [Command.link(agent.id)],
                "assignment_method": "round_robin",
            })
            mail_server = env["ir.mail_server"].create(
                self.smtp.mail_server_values(f"E2E SMTP {self.tag}", sequence=0))
            fetch_server = env["fetchmail.server"].create(
                self.imap.fetchmail_values(f"E2E IMAP {self.tag}", env["ir.model"]._get_id("helpdesk.ticket")))
            self.created = {
                "alias_domain": alias_domain.id, "department": department.id, "agent": agent.id,
                "mail_server": mail_server.id, "fetch_server": fetch_server.id,
            }
        self.addCleanup(self._remove_created_data)

    def _remove_created_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            tickets = env["helpdesk.ticket"].search([("department_id", "=", self.created["department"])])
            partners = env["res.partner"].search([("email", "ilike", "@e2e-customer.example")])
            env["mail.mail"].search([("res_id", "in", tickets.ids), ("model", "=", "helpdesk.ticket")]).unlink()
            tickets.unlink()
            env["helpdesk.mail.held"].search([("department_id", "=", self.created["department"])]).unlink()
            env["fetchmail.server"].browse(self.created["fetch_server"]).unlink()
            env["ir.mail_server"].browse(self.created["mail_server"]).unlink()
            env["helpdesk.department"].browse(self.created["department"]).unlink()
            env["res.users"].browse(self.created["agent"]).unlink()
            env["mail.alias.domain"].browse(self.created["alias_domain"]).unlink()
            partners.filtered(lambda p: not p.user_ids).unlink()

    def _fetch(self):
        """What the incoming-mail cron does, in its own committed transaction, then
        the jobs it wakes up, each in its own transaction as cron workers run them:
        the acknowledgement job, the followers' notification job, then the mail
        scheduler (every mail is queued).
        The test-mode guard of ir.mail_server is lifted so that mail really goes out
        by SMTP."""
        with patch.object(odoo.modules.module, "current_test", False):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                job = env.ref("helpdesk_mail_gateway.ir_cron_helpdesk_acknowledge")
                woken = env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)])
                env["fetchmail.server"].browse(self.created["fetch_server"]).fetch_mail()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                if env["helpdesk.ticket"].search_count([("ack_pending", "=", True)]):
                    self.assertGreater(env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)]), woken,
                                       "the fetch wakes the acknowledgement job")
                env["helpdesk.ticket"]._cron_send_acknowledgements()
            with self.registry.cursor() as cr:
                # the followers are told of the fetched mails by the notification job
                api.Environment(cr, SUPERUSER_ID, {})["helpdesk.ticket"]._cron_notify_received_mails()
            with self.registry.cursor() as cr:
                api.Environment(cr, SUPERUSER_ID, {})["mail.mail"].process_email_queue()

    def test_imap_fetch_acknowledge_by_smtp_thread_reply_keep_broken_mail(self):
        first_id = make_msgid(domain="e2e-customer.example")
        second_id = make_msgid(domain="e2e-customer.example")
        broken_id = make_msgid(domain="e2e-customer.example")
        self.imap.append(_new_request(
            f"Erin Example <{self.customer_email}>", self.alias_address,
            "Cannot print invoices", "The print button does nothing since Monday.", first_id,
        ))
        self.imap.append(BROKEN_MAIL % {b"to": self.alias_address.encode(), b"message_id": broken_id.encode()})
        self.imap.append(_new_request(
            f"Frank Other <frank.{self.tag}@e2e-customer.example>", self.alias_address,
            "Wrong VAT number", "Our VAT number on the last invoice is wrong.", second_id,
        ))

        self._fetch()

        # the mailbox: every mail is seen, the broken one too: it is held in Odoo
        mailbox = self.imap.messages()
        self.assertEqual(len(mailbox), 3)
        self.assertIn("\\Seen", mailbox[first_id])
        self.assertIn("\\Seen", mailbox[second_id])
        self.assertIn("\\Seen", mailbox[broken_id], "the broken mail is not fetched again and again")

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["helpdesk.ticket"].search(
                [("department_id", "=", self.created["department"])], order="id"
            )
            self.assertEqual(tickets.mapped("name"), ["Cannot print invoices", "Wrong VAT number"])
            ticket = tickets[0]
            self.assertEqual(ticket.channel, "email")
            self.assertEqual(ticket.partner_id.email_normalized, self.customer_email)
            self.assertEqual(ticket.partner_id.name, "Erin Example")
            self.assertFalse(env["mail.message"].search([("message_id", "=", broken_id)]))
            held = env["helpdesk.mail.held"].search([("message_id", "=", broken_id)])
            self.assertEqual(len(held), 1, "the broken mail is held for the managers")
            self.assertIn("no sender address", held.reason)
            self.assertEqual(held.department_id.id, self.created["department"])
            number, ticket_id = ticket.number, ticket.id
            token_url = f"/my/tickets/{ticket.id}?access_token={ticket.access_token}"

        # the acknowledgement really left by SMTP
        acks = [
            (rcpt, message) for _sender, rcpt, message in self.smtp.messages()
            if message["In-Reply-To"] == first_id
        ]
        self.assertEqual(len(acks), 1, "one acknowledgement for the first request")
        rcpt, ack = acks[0]
        self.assertEqual(rcpt, [self.customer_email])
        self.assertIn(f"[{number}]", ack["Subject"])
        self.assertIn(self.alias_address, ack["Reply-To"])
        self.assertIn(first_id, ack["References"])
        ack_html = ack.get_body(("html",)).get_content()
        self.assertIn(number, ack_html)
        self.assertIn(token_url, ack_html)

        # the customer answers the acknowledgement: the answer threads into the ticket
        reply = EmailMessage()
        reply["From"] = f"Erin Example <{self.customer_email}>"
        reply["To"] = ack["Reply-To"]
        reply["Subject"] = "Re: " + ack["Subject"]
        reply["Message-ID"] = reply_id = make_msgid(domain="e2e-customer.example")
        reply["In-Reply-To"] = ack["Message-Id"]
        reply["References"] = f'{ack["References"]} {ack["Message-Id"]}'
        reply.set_content("Still broken this morning.\n\n> We have received your request.")
        sent_before = len(self.smtp.messages())
        self.imap.append(reply.as_bytes())

        self._fetch()

        mailbox = self.imap.messages()
        self.assertIn("\\Seen", mailbox[reply_id])
        self.assertEqual(
            self.imap.messages().keys() - {first_id, second_id, broken_id, reply_id}, set(), "nothing else arrived",
        )
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            message = env["mail.message"].search([("message_id", "=", reply_id)])
            self.assertEqual(message.model, "helpdesk.ticket")
            self.assertEqual(message.res_id, ticket_id, "the reply joined the ticket")
            self.assertEqual(
                env["helpdesk.ticket"].search_count([("department_id", "=", self.created["department"])]), 2,
                "no new ticket for the reply",
            )
            ticket = env["helpdesk.ticket"].browse(ticket_id)
            self.assertEqual(ticket.date_last_customer_message, message.date)
        new_acks = [m for _s, _r, m in self.smtp.messages()[sent_before:] if m["In-Reply-To"] == reply_id]
        self.assertFalse(new_acks, "a reply is never acknowledged")
        # the agent assigned to the ticket got the answer by SMTP, from the notification job
        told = [
            message for _s, rcpt, message in self.smtp.messages()[sent_before:]
            if rcpt == [self.agent_email] and "Still broken this morning" in message.get_body(("html",)).get_content()
        ]
        self.assertEqual(len(told), 1, "the agent is told of the customer's answer once")
        self.assertIn(f"[{number}]", told[0]["Subject"])

    def test_same_mail_two_workers_one_ticket(self):
        """Two workers get the same mail at the same moment (the MTA pipes one copy per
        department address): one ticket, one message. The second worker's snapshot is
        taken before the first one commits, so only the receipt's unique index can see the
        conflict."""
        raw = _new_request(
            f"Erin Example <{self.customer_email}>", f"{self.alias_address}, billing@{self.domain_name}",
            "Sent to two addresses", "Two copies of this mail arrive together.",
            make_msgid(domain="e2e-customer.example"),
        )
        first_done, release_first = threading.Event(), threading.Event()
        results, errors = {}, []

        def first_worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    results["first"] = env["mail.thread"].message_process(False, raw)
                    first_done.set()
                    release_first.wait(30)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                first_done.set()

        def second_worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    cr.execute("SELECT 1")  # the transaction's snapshot starts here
                    first_done.wait(30)
                    threading.Timer(1.0, release_first.set).start()
                    results["second"] = env["mail.thread"].message_process(False, raw)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                release_first.set()

        threads = [threading.Thread(target=first_worker), threading.Thread(target=second_worker)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertFalse(errors)
        self.assertTrue(results["first"])
        self.assertFalse(results["second"], "the second copy is recognised as a duplicate")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["helpdesk.ticket"].search([("name", "=", "Sent to two addresses"),
                                                     ("partner_email", "=", self.customer_email)])
            self.assertEqual(len(tickets), 1)
            self.assertEqual(len(tickets.message_ids.filtered(lambda m: m.message_type == "email")), 1)
