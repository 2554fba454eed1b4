from odoo import api, models

#: leave fields deciding whether and when a leave closes the helpdesk
SLA_LEAVE_FIELDS = {"date_from", "date_to", "calendar_id", "company_id", "resource_id", "time_type"}


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    def _sla_departments(self):
        """Departments whose working hours include these leaves: global leaves
        (no resource, time off) of their calendar, or of every calendar of
        their company (leave without calendar)."""
        leaves = self.sudo().filtered(lambda leave: not leave.resource_id and leave.time_type == "leave")
        Department = self.env["helpdesk.department"]
        if not leaves:
            return Department
        every = leaves.filtered(lambda leave: not leave.calendar_id)
        companies = None
        if every:
            # a leave of no company applies to every company
            companies = every.company_id if all(every.mapped("company_id")) else self.env["res.company"]
        return Department._sla_departments_of_calendars(leaves.calendar_id, companies)

    def _sla_reschedule(self, departments):
        self.env["resource.calendar"]._sla_clear_business_calendars()
        self.env["helpdesk.ticket"]._sla_replan_departments(departments)

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._sla_reschedule(leaves._sla_departments())
        return leaves

    def write(self, vals):
        if not SLA_LEAVE_FIELDS & vals.keys():
            return super().write(vals)
        departments = self._sla_departments()
        res = super().write(vals)
        self._sla_reschedule(departments | self._sla_departments())
        return res

    def unlink(self):
        departments = self._sla_departments()
        res = super().unlink()
        self._sla_reschedule(departments.exists())
        return res
