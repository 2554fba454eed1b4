from odoo import api, models


class HelpdeskDepartment(models.Model):
    _inherit = "helpdesk.department"

    def write(self, vals):
        res = super().write(vals)
        if {"resource_calendar_id", "company_id"} & vals.keys():
            # other working hours (or the global leaves of another company)
            self.env["helpdesk.ticket"]._sla_replan_departments(self)
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
