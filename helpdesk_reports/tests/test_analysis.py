from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import ReportsCommon

MEASURES = [
    "ticket_count", "first_response_hours", "close_hours", "open_hours", "reopen_count",
    "sla_failed_count", "sla_met", "rating", "rating_satisfied",
    "customer_message_count", "agent_message_count",
]


@tagged("post_install", "-at_install")
class TestTicketAnalysis(ReportsCommon):
    """Every measure of helpdesk.ticket.analysis against figures computed by hand.

    Department A works Monday to Friday 09:00-17:00 in Brussels (UTC+1 in
    January); Monday 13 January 2025 is a public holiday. Times below are UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._calendar_9_to_5()
        cls.env["resource.calendar.leaves"].create({
            "name": "Public holiday",
            "calendar_id": cls.calendar.id,
            "date_from": cls.utc(2025, 1, 12, 23, 0),
            "date_to": cls.utc(2025, 1, 13, 23, 0),
            "time_type": "leave",
        })
        cls.department_a.resource_calendar_id = cls.calendar
        cls.department_247 = cls.env["helpdesk.department"].create({
            "name": "Round the clock", "resource_calendar_id": False,
            "member_ids": [Command.set(cls.agent_a.ids)],
        })
        cls.ticket_type = cls.env["helpdesk.ticket.type"].create({"name": "Incident"})
        cls.tag = cls.env["helpdesk.tag"].create({"name": "printer"})

        # T1: created Friday 15:00 local, answered Tuesday 10:30 (weekend and holiday
        # in between), closed Wednesday 12:00
        cls.t1 = cls._create_ticket(
            name="Weekend and holiday", user_id=cls.agent_a.id, channel="email", priority="2",
            type_id=cls.ticket_type.id, tag_ids=[Command.set(cls.tag.ids)],
        )
        cls.t1.message_post(body="Help!", author_id=cls.customer.id, message_type="email",
                            subtype_xmlid="mail.mt_comment")
        cls.t1.message_post(body="Still broken", author_id=cls.customer.id, message_type="comment",
                            subtype_xmlid="mail.mt_comment")
        cls.t1.with_user(cls.agent_a).message_post(body="On it", message_type="comment",
                                                    subtype_xmlid="mail.mt_comment")
        cls.t1.with_user(cls.agent_a).message_post(body="internal", message_type="comment",
                                                    subtype_xmlid="mail.mt_note")
        cls.t1.action_close()
        cls._backdate(cls.t1, cls.utc(2025, 1, 10, 14, 0),
                      answered=cls.utc(2025, 1, 14, 9, 30), closed=cls.utc(2025, 1, 15, 11, 0))
        cls._sla_line(cls.t1, "first_response", "reached", reached_date=cls.t1.date_first_response)
        cls._sla_line(cls.t1, "resolution", "failed", reached_date=cls.t1.date_closed)
        cls._rate(cls.t1, 2)
        cls._rate(cls.t1, 4)  # the last rating counts

        # T2: still open, created Wednesday 08:00 local (before opening), answered 09:15
        cls.t2 = cls._create_ticket(
            name="Open one", user_id=cls.agent_a2.id, channel="portal", priority="3",
            partner_id=cls.other_customer.id,
        )
        cls.t2.message_post(body="From an unknown address", author_id=False, email_from="x@unknown.example",
                            message_type="email", subtype_xmlid="mail.mt_comment")
        cls._backdate(cls.t2, cls.utc(2025, 1, 15, 7, 0), answered=cls.utc(2025, 1, 15, 8, 15))
        cls._sla_line(cls.t2, "first_response", "reached", reached_date=cls.t2.date_first_response)
        cls._sla_line(cls.t2, "resolution", "ongoing")

        # T3: only weekend and holiday time: answered on Saturday, closed on the holiday;
        # reopened once
        cls.t3 = cls._create_ticket(name="Weekend only", user_id=cls.agent_a.id, channel="phone")
        cls.t3.action_close()
        cls.t3.action_reopen()
        cls.t3.action_close()
        cls._backdate(cls.t3, cls.utc(2025, 1, 11, 9, 0),
                      answered=cls.utc(2025, 1, 11, 10, 0), closed=cls.utc(2025, 1, 13, 9, 0))
        cls._sla_line(cls.t3, "first_response", "reached", reached_date=cls.t3.date_first_response)
        cls._sla_line(cls.t3, "resolution", "reached", reached_date=cls.t3.date_closed)
        cls._rate(cls.t3, 2)

        # T4: department without a calendar: 24/7, wall-clock hours
        cls.t4 = cls._create_ticket(
            name="Always open", department_id=cls.department_247.id, user_id=cls.agent_a.id, channel="chat",
        )
        cls.t4.action_close()
        cls._backdate(cls.t4, cls.utc(2025, 1, 10, 14, 0),
                      answered=cls.utc(2025, 1, 11, 14, 0), closed=cls.utc(2025, 1, 13, 14, 0))
        cls.env.flush_all()
        cls.tickets = cls.t1 | cls.t2 | cls.t3 | cls.t4

    def _rows(self):
        Analysis = self.env["helpdesk.ticket.analysis"]
        Analysis.invalidate_model()
        return {row.ticket_id: row for row in Analysis.search([("ticket_id", "in", self.tickets.ids)])}

    def _measures(self, row):
        return {name: row[name] for name in MEASURES}

    def test_every_measure(self):
        rows = self._rows()
        self.assertEqual(len(rows), 4, "one row per ticket")
        now = self._db_now()
        t2_open_hours = (now - self.utc(2025, 1, 15, 7, 0)).total_seconds() / 3600.0
        expected = {
            self.t1: {
                # Fri 15:00-17:00 (2 h) + Tue 09:00-10:30 (1.5 h); Monday is a holiday
                "first_response_hours": 3.5,
                # Fri 2 h + Tue 8 h + Wed 09:00-12:00 3 h
                "close_hours": 13.0,
                "open_hours": 0.0,
                "reopen_count": 0,
                "sla_failed_count": 1,
                "sla_met": 0,
                "rating": 4.0,
                "rating_satisfied": 1,
                "customer_message_count": 2,
                "agent_message_count": 1,
            },
            self.t2: {
                "first_response_hours": 0.25,
                "close_hours": 0.0,
                "open_hours": t2_open_hours,
                "reopen_count": 0,
                "sla_failed_count": 0,
                "sla_met": 0,  # empty (still running) reads as 0
                "rating": 0.0,
                "rating_satisfied": 0,
                "customer_message_count": 1,
                "agent_message_count": 0,
            },
            self.t3: {
                "first_response_hours": 0.0,
                "close_hours": 0.0,
                "open_hours": 0.0,
                "reopen_count": 1,
                "sla_failed_count": 0,
                "sla_met": 1,
                "rating": 2.0,
                "rating_satisfied": 0,
                "customer_message_count": 0,
                "agent_message_count": 0,
            },
            self.t4: {
                "first_response_hours": 24.0,
                "close_hours": 72.0,
                "open_hours": 0.0,
                "reopen_count": 0,
                "sla_failed_count": 0,
                "sla_met": 0,
                "rating": 0.0,
                "rating_satisfied": 0,
                "customer_message_count": 0,
                "agent_message_count": 0,
            },
        }
        for ticket, values in expected.items():
            values["ticket_count"] = 1
            measures = self._measures(rows[ticket])
            for name in MEASURES:
                self.assertAlmostEqual(
                    measures[name], values[name], places=4, msg=f"{ticket.name}: {name}"
                )

    def test_empty_measures_are_null(self):
        """Unknown figures are NULL in the view, so that averages ignore them."""
        self.env.cr.execute(
            """SELECT ticket_id, first_response_hours, close_hours, open_hours, sla_met, rating,
                      rating_satisfied, sla_status, age_bucket
                 FROM helpdesk_ticket_analysis WHERE ticket_id IN %s""",
            [tuple(self.tickets.ids)],
        )
        rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        self.assertEqual(rows[self.t2.id][1], None, "open ticket: no close time")
        self.assertEqual(rows[self.t2.id][3], None, "running SLA: not met yet, not failed")
        self.assertEqual(rows[self.t2.id][4], None, "not rated")
        self.assertEqual(rows[self.t2.id][6:], ("running", "30"))
        self.assertEqual(rows[self.t1.id][2], None, "closed ticket: no open hours")
        self.assertEqual(rows[self.t1.id][6:], ("failed", None))
        self.assertEqual(rows[self.t3.id][6], "met")
        self.assertEqual(rows[self.t4.id][3], None, "no SLA")
        self.assertEqual(rows[self.t4.id][6], "none")

    def test_dimensions(self):
        row = self._rows()[self.t1]
        self.assertEqual(row.create_date, self.utc(2025, 1, 10, 14, 0))
        self.assertEqual(row.close_date, self.utc(2025, 1, 15, 11, 0))
        self.assertEqual(row.first_response_date, self.utc(2025, 1, 14, 9, 30))
        self.assertEqual(row.department_id, self.department_a)
        self.assertEqual(row.user_id, self.agent_a)
        self.assertEqual(row.channel, "email")
        self.assertEqual(row.type_id, self.ticket_type)
        self.assertEqual(row.priority, "2")
        self.assertEqual(row.stage_id, self.t1.stage_id)
        self.assertTrue(row.closed)
        self.assertEqual(row.partner_id, self.customer)
        self.assertEqual(row.commercial_partner_id, self.customer_company)
        self.assertEqual(row.company_id, self.company)
        self.assertIn(self.tag, row.tag_ids)
        self.assertEqual(row.tag_ids, self.t1.tag_ids)
        self.assertEqual(row.number, self.t1.number)

    def test_grouped_averages(self):
        """Pivot figures: averages ignore the unknown values."""
        Analysis = self.env["helpdesk.ticket.analysis"]
        Analysis.invalidate_model()
        [(count, first, close, sla, rating, satisfied, failed)] = Analysis._read_group(
            [("department_id", "=", self.department_a.id), ("ticket_id", "in", self.tickets.ids)],
            [],
            ["__count", "first_response_hours:avg", "close_hours:avg", "sla_met:avg", "rating:avg",
             "rating_satisfied:avg", "sla_failed_count:sum"],
        )
        self.assertEqual(count, 3)
        self.assertAlmostEqual(first, (3.5 + 0.25 + 0.0) / 3)
        self.assertAlmostEqual(close, (13.0 + 0.0) / 2)
        self.assertAlmostEqual(sla, 0.5, msg="T1 failed, T3 met, T2 still running")
        self.assertAlmostEqual(rating, 3.0)
        self.assertAlmostEqual(satisfied, 0.5)
        self.assertEqual(failed, 1)
        by_tag = Analysis._read_group([("ticket_id", "in", self.tickets.ids)], ["tag_ids"], ["__count"])
        self.assertIn((self.tag, 1), by_tag)
        by_month = Analysis._read_group(
            [("ticket_id", "in", self.tickets.ids)], ["create_date:month", "channel"], ["__count"]
        )
        self.assertEqual(len(by_month), 4)

    def test_consistent_with_sla_engine(self):
        """Working hours use the SLA engine's calendar of the department."""
        from odoo.addons.helpdesk_sla.tools import business_time as bt

        cal = self.env["helpdesk.ticket.sla"]._calendars(self.department_a)[self.department_a.id]
        self.assertAlmostEqual(
            self.t1.first_response_working_hours,
            bt.working_hours_between(cal, self.t1.create_date, self.t1.date_first_response),
        )
        # a deadline of 3.5 working hours from the creation is exactly the first response
        self.assertEqual(bt.add_working_hours(cal, self.t1.create_date, 3.5), self.t1.date_first_response)

    def test_reopen_clears_close_time(self):
        self.t1.action_reopen()
        self.env.flush_all()
        row = self._rows()[self.t1]
        self.assertFalse(row.close_date)
        self.assertEqual(row.close_hours, 0.0)
        self.assertEqual(row.reopen_count, 1)
        self.assertGreater(row.open_hours, 0.0)
        self.assertEqual(self.t1.close_working_hours, 0.0)
        # first response unchanged
        self.assertAlmostEqual(row.first_response_hours, 3.5)

    def test_archived_tickets_hidden_by_default(self):
        self.t4.active = False
        self.env.flush_all()
        self.assertNotIn(self.t4, self._rows())
        Analysis = self.env["helpdesk.ticket.analysis"].with_context(active_test=False)
        self.assertTrue(Analysis.search([("ticket_id", "=", self.t4.id)]))


@tagged("post_install", "-at_install")
class TestAnalysisWithSlaEngine(ReportsCommon):
    """SLA measures from lines maintained by the SLA engine itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department_sla = cls.env["helpdesk.department"].create({
            "name": "SLA 24/7", "resource_calendar_id": False, "assignment_method": "manual",
            "member_ids": [Command.set(cls.agent_a.ids)],
        })
        cls.env["helpdesk.sla.policy"].create({
            "name": "One hour answer",
            "department_id": cls.department_sla.id,
            "first_response_hours": 1,
            "resolution_hours": 48,
        })

    def _row(self, ticket):
        self.env.flush_all()
        Analysis = self.env["helpdesk.ticket.analysis"]
        Analysis.invalidate_model()
        return Analysis.search([("ticket_id", "=", ticket.id)])

    def test_late_and_on_time_first_response(self):
        late = self._create_ticket(name="late", department_id=self.department_sla.id, user_id=self.agent_a.id)
        on_time = self._create_ticket(name="on time", department_id=self.department_sla.id, user_id=self.agent_a.id)
        self.assertEqual(len(late.sla_ids), 2, "first response and resolution clocks")
        self.assertEqual(self._row(late).sla_status, "running")
        late.date_first_response = late.create_date + timedelta(hours=2)
        on_time.date_first_response = on_time.create_date + timedelta(minutes=30)
        (late | on_time).action_close()
        late_row, on_time_row = self._row(late), self._row(on_time)
        self.assertEqual(
            (late_row.sla_status, late_row.sla_failed_count, late_row.sla_met, late_row.first_response_hours),
            ("failed", 1, 0, 2.0),
        )
        self.assertEqual(
            (on_time_row.sla_status, on_time_row.sla_failed_count, on_time_row.sla_met,
             on_time_row.first_response_hours),
            ("met", 0, 1, 0.5),
        )
