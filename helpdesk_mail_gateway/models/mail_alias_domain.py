from odoo import models


class MailAliasDomain(models.Model):
    _inherit = "mail.alias.domain"

    def write(self, vals):
        res = super().write(vals)
        if "name" in vals:
            # the full addresses of the aliases change: mail.alias._helpdesk_alias_models
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # the aliases of the domain lose it
        return res
