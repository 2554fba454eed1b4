from odoo import api, models, tools

from ..tools import business_time as bt

#: calendar fields the business-time engine reads (its attendances and leaves
#: have their own hooks)
SLA_CALENDAR_FIELDS = {"tz", "two_weeks_calendar", "flexible_hours"}


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    # no create hook: a new calendar is not the working hours of any department yet

    @tools.ormcache("self.id", "company_id")
    def _sla_business_calendar(self, company_id):
        """``business_time.calendar_from_record`` of this calendar (its leaves and
        those of ``company_id``): an immutable BusinessCalendar, cached per worker
        (every new SLA line plans on it) and cleared when a calendar, an attendance
        or a leave is created, changed or deleted."""
        self.ensure_one()
        self.env["resource.calendar.attendance"].flush_model()
        self.env["resource.calendar.leaves"].flush_model()
        return bt.calendar_from_record(self.sudo(), self.env["res.company"].browse(company_id or ()))

    @api.model
    def _sla_clear_business_calendars(self):
        self.env.registry.clear_cache()  # _sla_business_calendar

    def write(self, vals):
        res = super().write(vals)
        self._sla_clear_business_calendars()
        # attendances saved through the calendar form re-plan from their own hooks
        if SLA_CALENDAR_FIELDS & vals.keys():
            self.env["helpdesk.ticket"]._sla_replan_departments(
                self.env["helpdesk.department"]._sla_departments_of_calendars(self)
            )
        return res

    def unlink(self):
        # the departments of a deleted calendar count 24/7 from now on
        departments = self.env["helpdesk.department"]._sla_departments_of_calendars(self)
        res = super().unlink()
        self._sla_clear_business_calendars()
        self.env["helpdesk.ticket"]._sla_replan_departments(departments.exists())
        return res
