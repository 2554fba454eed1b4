from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo import Command

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon

#: Monday 17 June 2024, 09:00 in Brussels (UTC+2)
MONDAY_9 = datetime(2024, 6, 17, 7, 0)


def local(day, hour, minute=0):
    """UTC instant of ``hour`` Brussels time on June ``day`` 2024 (summer time)."""
    return datetime(2024, 6, day, hour - 2, minute)


class SlaCommon(HelpdeskCommon):
    """Department A works Monday-Friday 8:00-12:00 and 13:00-17:00, Brussels time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "SLA test office hours",
            "tz": "Europe/Brussels",
            "attendance_ids": [
                Command.create({"name": f"{day} {period}", "dayofweek": str(day), "hour_from": start,
                                "hour_to": end, "day_period": period})
                for day in range(5)
                for start, end, period in ((8, 12, "morning"), (13, 17, "afternoon"))
            ],
        })
        cls.department_a.resource_calendar_id = cls.calendar
        cls.department_b.resource_calendar_id = False  # 24/7
        cls.Policy = cls.env["helpdesk.sla.policy"]
        cls.policy_normal = cls.Policy.create({
            "name": "Normal",
            "department_id": cls.department_a.id,
            "priority": "1",
            "first_response_hours": 8,
            "next_response_hours": 4,
            "resolution_hours": 40,
            "warning_percent": 50,
            "escalate_priority": "2",
            "escalate_notify_manager": True,
        })
        cls.policy_urgent = cls.Policy.create({
            "name": "Urgent",
            "department_id": cls.department_a.id,
            "priority": "3",
            "first_response_hours": 1,
            "resolution_hours": 8,
            "warning_percent": 75,
            "escalate_user_id": cls.agent_a2.id,
            "escalate_notify_manager": True,
        })
        cls.cron = cls.env.ref("helpdesk_sla.ir_cron_helpdesk_sla_check")
        cls.Line = cls.env["helpdesk.ticket.sla"]

    @contextmanager
    def at(self, moment):
        """Freeze the clock (Python and the transaction timestamp used for create_date)."""
        with freeze_time(moment):
            self.env.cr._now = moment
            try:
                yield
                # stored computed fields (e.g. date_closed) get their value at this
                # moment, as at the end of a request
                self.env.flush_all()
            finally:
                self.env.cr._now = None

    def create_ticket_at(self, moment, **values):
        with self.at(moment):
            return self._create_ticket(**values)

    def line(self, ticket, policy, target):
        lines = ticket.sla_ids.filtered(lambda l: l.policy_id == policy and l.target == target)
        self.assertLessEqual(len(lines), 1)
        return lines

    def agent_reply(self, ticket, moment, user=None):
        with self.at(moment):
            return ticket.with_user(user or self.agent_a).message_post(
                body="Here is an answer", message_type="comment", subtype_xmlid="mail.mt_comment"
            )

    def customer_message(self, ticket, moment):
        with self.at(moment):
            return ticket.message_post(
                body="Any news?", author_id=self.customer.id, message_type="email",
                subtype_xmlid="mail.mt_comment",
            )

    def set_stage(self, ticket, stage, moment):
        with self.at(moment):
            ticket.stage_id = stage

    def run_cron(self, moment):
        with self.at(moment):
            return self.Line._cron_check()
