from odoo import models

#: calendar fields the business-time engine reads (its attendances and leaves
#: have their own hooks)
SLA_CALENDAR_FIELDS = {"tz", "two_weeks_calendar", "flexible_hours"}


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    # no create hook: a new calendar is not the working hours of any department yet

    def write(self, vals):
        # a calendar form saves each edited attendance separately: re-plan once, here
        res = super(ResourceCalendar, self.with_context(helpdesk_sla_defer_reschedule=True)).write(vals)
        if (SLA_CALENDAR_FIELDS | {"attendance_ids"}) & vals.keys():
            self.env["helpdesk.ticket.sla"]._reschedule_departments(
                self.env["helpdesk.department"]._sla_departments_of_calendars(self)
            )
        return res

    def unlink(self):
        # the departments of a deleted calendar count 24/7 from now on
        departments = self.env["helpdesk.department"]._sla_departments_of_calendars(self)
        res = super().unlink()
        self.env["helpdesk.ticket.sla"]._reschedule_departments(departments.exists())
        return res
