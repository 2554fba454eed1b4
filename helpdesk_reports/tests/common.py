from datetime import datetime

from odoo import Command

from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon


class ReportsCommon(HelpdeskCommon):
    """Helpers to build tickets whose figures are known by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sla_policy = cls.env["helpdesk.sla.policy"].create({
            # scoped to a department without tickets: lines are added by hand in the tests
            "name": "Reports test policy",
            "department_id": cls.env["helpdesk.department"].create({"name": "Reports SLA scope"}).id,
            "first_response_hours": 4,
            "resolution_hours": 16,
        })

    @classmethod
    def _calendar_9_to_5(cls, tz="Europe/Brussels"):
        """Monday to Friday, 09:00-17:00 local time."""
        return cls.env["resource.calendar"].create({
            "name": f"9 to 5 ({tz})",
            "tz": tz,
            "attendance_ids": [
                Command.create({
                    "name": f"Day {day}", "dayofweek": str(day), "hour_from": 9, "hour_to": 17,
                    "day_period": "morning",
                })
                for day in range(5)
            ],
        })

    @classmethod
    def _set_create_date(cls, tickets, when):
        tickets.flush_recordset()
        cls.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id IN %s", [when, tuple(tickets.ids)]
        )
        tickets.invalidate_recordset(["create_date"])

    @classmethod
    def _backdate(cls, ticket, created, answered=None, closed=None):
        """Move ``ticket`` into the past: created, first answered and closed at these times."""
        cls._set_create_date(ticket, created)
        dates = {"date_first_response": answered, "date_closed": closed}
        ticket.write({name: when for name, when in dates.items() if when})

    @classmethod
    def _sla_line(cls, ticket, target, status, **values):
        vals = {
            "ticket_id": ticket.id,
            "policy_id": cls.sla_policy.id,
            "target": target,
            "target_hours": 4,
            "start_date": ticket.create_date,
            "status": status,
        }
        vals.update(values)
        return cls.env["helpdesk.ticket.sla"].sudo().create(vals)

    @classmethod
    def _rate(cls, ticket, value, partner=None):
        return cls.env["rating.rating"].sudo().create({
            "res_model_id": cls.env["ir.model"]._get_id("helpdesk.ticket"),
            "res_id": ticket.id,
            "partner_id": (partner or ticket.partner_id).id,
            "rated_partner_id": ticket.user_id.partner_id.id,
            "rating": value,
            "consumed": True,
        })

    def _db_now(self):
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        return self.env.cr.fetchone()[0]

    @staticmethod
    def utc(*args):
        return datetime(*args)
