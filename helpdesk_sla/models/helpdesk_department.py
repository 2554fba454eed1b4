from odoo import api, models


class HelpdeskDepartment(models.Model):
    _inherit = "helpdesk.department"

    def write(self, vals):
        if not {"resource_calendar_id", "company_id"} & vals.keys():
            return super().write(vals)
        before = {department.id: (department.resource_calendar_id, department.company_id) for department in self}
        res = super().write(vals)
        changed = self.filtered(
            lambda d: (d.resource_calendar_id, d.company_id) != before[d.id]
        )
        self.env["helpdesk.ticket.sla"]._reschedule_departments(changed)
        return res

    @api.model
    def _sla_departments_of_calendars(self, calendars, every_calendar_of_companies=None):
        """Departments (archived included) working with ``calendars``, or with
        any calendar when ``every_calendar_of_companies`` is given: a
        res.company recordset, empty for every company (a leave valid for all
        the calendars)."""
        Department = self.sudo().with_context(active_test=False)
        domain = [("resource_calendar_id", "in", calendars.ids)]
        if every_calendar_of_companies is not None:
            every = [("resource_calendar_id", "!=", False)]
            if every_calendar_of_companies:
                every.append(("company_id", "in", every_calendar_of_companies.ids))
            domain = ["|"] + domain + ["&"] * (len(every) - 1) + every
        return Department.search(domain)
