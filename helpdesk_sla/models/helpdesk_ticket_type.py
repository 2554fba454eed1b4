from odoo import models


class HelpdeskTicketType(models.Model):
    _inherit = "helpdesk.ticket.type"

    def unlink(self):
        # an SLA policy limited to this type loses the condition: the policies kept
        # per worker (helpdesk.sla.policy._sla_policy_conditions) are read again
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
