from odoo import api, models


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    @api.model
    def _get_calendar(self, automation, record):
        """Time rules on tickets counted in working days follow the working hours of
        the ticket's department (its calendar, timezone and public holidays); the
        rule's own calendar is the fallback for tickets without one."""
        calendar = super()._get_calendar(automation, record)
        if calendar and record._name == "helpdesk.ticket":
            return record.sudo().department_id.resource_calendar_id or calendar
        return calendar
