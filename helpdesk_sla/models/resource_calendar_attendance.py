from odoo import api, models

#: attendance fields the business-time engine reads
SLA_ATTENDANCE_FIELDS = {
    "calendar_id", "dayofweek", "hour_from", "hour_to", "week_type", "date_from", "date_to",
    "resource_id", "display_type", "day_period",
}


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    def _sla_reschedule(self, calendars):
        self.env["resource.calendar"]._sla_clear_business_calendars()
        # the re-planning job runs once per transaction, however many attendances
        # a calendar form saves
        self.env["helpdesk.ticket"]._sla_replan_departments(
            self.env["helpdesk.department"]._sla_departments_of_calendars(calendars)
        )

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        attendances._sla_reschedule(attendances.calendar_id)
        return attendances

    def write(self, vals):
        if not SLA_ATTENDANCE_FIELDS & vals.keys():
            return super().write(vals)
        calendars = self.calendar_id
        res = super().write(vals)
        self._sla_reschedule(calendars | self.calendar_id)
        return res

    def unlink(self):
        calendars = self.calendar_id
        res = super().unlink()
        self._sla_reschedule(calendars.exists())
        return res
