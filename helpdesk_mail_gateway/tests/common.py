import os

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon

MAILS_DIR = os.path.join(os.path.dirname(__file__), "mails")


def read_fixture(name, **placeholders):
    """Raw bytes of a fixture mail; ``%%KEY%%`` markers are replaced by the given values
    (used for the headers that refer to data created by the test: ticket number, Message-Id)."""
    with open(os.path.join(MAILS_DIR, name), "rb") as handle:
        raw = handle.read()
    for key, value in placeholders.items():
        raw = raw.replace(b"%%" + key.upper().encode() + b"%%", value.encode())
    return raw


class MailGatewayCommon(HelpdeskCommon):
    """Departments A and B reachable at hd-support@ / hd-billing@hd-test.example."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({
            "name": "hd-test.example",
            "catchall_alias": "catchall",
            "bounce_alias": "bounce",
            "default_from": "notifications",
        })
        cls.company.alias_domain_id = cls.alias_domain
        cls.department_a.write({"alias_name": "hd-support", "alias_domain_id": cls.alias_domain.id})
        cls.department_b.write({"alias_name": "hd-billing", "alias_domain_id": cls.alias_domain.id})
        cls.ack_template = cls.env.ref("helpdesk_mail_gateway.mail_template_ticket_acknowledgement")
        cls.Ticket = cls.env["helpdesk.ticket"]
        # tickets of the demo data or of other tests are older than this
        cls.last_ticket_id = cls.Ticket.with_context(active_test=False).search([], order="id desc", limit=1).id or 0
        cls.env["ir.config_parameter"].sudo().set_param("mail.catchall.domain.allowed", False)
        if "helpdesk.routing.rule" in cls.env:
            # demo routing rules would move the fixtures' tickets to demo departments
            cls.env["helpdesk.routing.rule"].search([]).active = False
        # tickets of the demo data and of the fixtures above: acknowledged before the tests
        cls.env.flush_all()
        while cls.Ticket._cron_send_acknowledgements():
            pass

    # ------------------------------------------------------------------
    def new_tickets_domain(self, name):
        """Tickets of this test with the given name (the demo data may use the same names)."""
        return [("name", "=", name), ("id", ">", self.last_ticket_id)]

    def process(self, name, **placeholders):
        """Feed a fixture to the gateway as the incoming mail servers and mailgate do."""
        raw = read_fixture(name, **placeholders)
        return self.env["mail.thread"].message_process(False, raw)

    def ticket_of(self, message_id):
        message = self.env["mail.message"].search([("message_id", "=", message_id)])
        self.assertEqual(len(message), 1, "exactly one message expected for %s" % message_id)
        self.assertEqual(message.model, "helpdesk.ticket")
        return self.Ticket.browse(message.res_id)

    def run_acknowledgements(self):
        """Commit-time hooks, then the acknowledgement job, as a cron worker runs it
        once the transaction that created the tickets has committed."""
        self.cr.flush()
        done = 0
        while batch := self.Ticket._cron_send_acknowledgements():
            done += batch
        self.cr.flush()
        return done

    def ack_messages(self, ticket):
        self.run_acknowledgements()
        ticket.invalidate_recordset(["message_ids"])
        return ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")

    def ack_mails(self, ticket):
        self.run_acknowledgements()
        return self.env["mail.mail"].search([
            ("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
            ("mail_message_id.message_type", "=", "auto_comment"),
        ])

    def assertAcknowledged(self, ticket):
        mails = self.ack_mails(ticket)
        self.assertEqual(len(mails), 1, "one acknowledgement expected")
        self.assertEqual(mails.recipient_ids, ticket.partner_id)
        self.assertIn(f"[{ticket.number}]", mails.subject)
        return mails

    def assertNotAcknowledged(self, ticket, reason_fragment=None):
        self.assertFalse(self.ack_messages(ticket), "no acknowledgement expected")
        self.assertFalse(self.ack_mails(ticket))
        if reason_fragment:
            notes = ticket.message_ids.filtered(lambda m: "No acknowledgement sent" in (m.body or ""))
            self.assertTrue(notes, "the reason for not acknowledging is logged on the ticket")
            self.assertIn(reason_fragment, notes[0].body)

    def make_reply_target(self, **values):
        """A ticket created by mail (fixture 03-like) with its acknowledgement, to answer to."""
        vals = {
            "name": "Printer is on fire",
            "department_id": self.department_a.id,
            "partner_id": self.customer.id,
            "channel": "email",
        }
        vals.update(values)
        ticket = self.Ticket.create(vals)
        ticket.message_subscribe(partner_ids=self.customer_colleague.ids)
        message = ticket.message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self.agent_a.partner_id.id,
        )
        return ticket, message

