from odoo import models

#: calendar fields the business-time engine reads (its attendances and leaves
#: have their own hooks)
SLA_CALENDAR_FIELDS = {"tz", "two_weeks_calendar", "flexible_hours"}


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    # no create hook: a new calendar is not the working hours of any department yet

    def write(self, vals):
        res = super().write(vals)
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
        self.env["helpdesk.ticket"]._sla_replan_departments(departments.exists())
        return res
