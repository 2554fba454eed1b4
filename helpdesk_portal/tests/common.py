import re
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class HelpdeskPortalCommon(HttpCase, HelpdeskCommon):
    """Two customer companies with portal users, their tickets, and request helpers.

    Customer A: Carla (portal user) and her colleague Colin, both of Customer Corp.
    Customer B: Oscar Outsider (portal user), another company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_a.write({"description": "<p>Questions about our products</p>"})
        cls.department_hidden = cls.env["helpdesk.department"].create({
            "name": "Internal Only", "portal_published": False,
        })
        cls.user_a = new_test_user(
            cls.env, login="hdportal_carla", password="hdportal_carla",
            groups="base.group_portal", partner_id=cls.customer.id, email=cls.customer.email, name=cls.customer.name,
        )
        cls.user_b = new_test_user(
            cls.env, login="hdportal_oscar", password="hdportal_oscar",
            groups="base.group_portal", partner_id=cls.other_customer.id, email=cls.other_customer.email,
            name=cls.other_customer.name,
        )
        cls.ticket_a = cls._create_ticket(name="Carla cannot print invoices", channel="portal")
        cls.ticket_a_colleague = cls._create_ticket(
            name="Colin needs a new badge", partner_id=cls.customer_colleague.id, channel="email",
        )
        cls.ticket_b = cls._create_ticket(
            name="Oscar secret payroll question", partner_id=cls.other_customer.id,
            department_id=cls.department_b.id, channel="email",
        )
        cls.ticket_b.message_post(
            body="Oscar private reply about salaries", message_type="comment",
            subtype_xmlid="mail.mt_comment", author_id=cls.other_customer.id,
        )
        cls.attachment_b = cls.env["ir.attachment"].create({
            "name": "payslip_oscar.txt", "raw": b"salary: 1 million",
            "res_model": "helpdesk.ticket", "res_id": cls.ticket_b.id,
        })
        for ticket in cls.ticket_a | cls.ticket_a_colleague | cls.ticket_b:
            ticket._portal_ensure_token()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def login(self, user):
        self.authenticate(user.login, user.login)

    def csrf_token(self, url="/helpdesk/track"):
        response = self.url_open(url)
        match = CSRF_RE.search(response.text)
        self.assertTrue(match, f"no CSRF token on {url}")
        return match.group(1)

    def post(self, url, data=None, files=None, allow_redirects=False, csrf=True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.csrf_token()
        return self.url_open(url, data=data, files=files, allow_redirects=allow_redirects)

    def close_ticket(self, ticket, days_ago=0):
        ticket.action_close()
        if days_ago:
            ticket.date_closed = fields.Datetime.now() - timedelta(days=days_ago)
        self.env.flush_all()

    def age_attempts(self, minutes):
        """Move every recorded rate-limit attempt ``minutes`` into the past."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_portal_attempt SET create_date = create_date - make_interval(mins => %s)",
            [minutes],
        )
        self.env.invalidate_all()


__all__ = ["HelpdeskPortalCommon", "Command"]
