from odoo import models


class HelpdeskArticle(models.Model):
    _inherit = "helpdesk.article"

    def _get_portal_path(self):
        self.ensure_one()
        return f"/helpdesk/kb/{self.id}" if self.id else False
