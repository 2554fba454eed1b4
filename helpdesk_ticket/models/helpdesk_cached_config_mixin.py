from odoo import api, models


class HelpdeskCachedConfigMixin(models.AbstractModel):
    """Configuration read on every ticket creation or customer reply (stages,
    routing rules, SLA policies) and kept per worker with ``tools.ormcache``:
    creating, changing or deleting a record clears the caches, in every worker
    (Odoo signals the registry's cache invalidation to the others)."""

    _name = "helpdesk.cached.config.mixin"
    _description = "Helpdesk Configuration Cached per Worker"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
