from odoo import models


class HelpdeskTag(models.Model):
    _inherit = "helpdesk.tag"

    def unlink(self):
        # an SLA policy limited to this tag loses the condition: the policies kept
        # per worker (helpdesk.sla.policy._sla_policy_conditions) are read again
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
