from odoo import api, models

TICKET_MODEL = "helpdesk.ticket"


class IrAttachment(models.Model):
    """Files of a helpdesk ticket carry their download token from the start.

    The ticket page lists the customer's files with links holding each file's token; it
    used to give the token on the first view, which is a write and the page is a
    read-only route (served by a replica with ``db_replica_host``). Other records'
    attachments are left as Odoo makes them."""

    _inherit = "ir.attachment"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("res_model") == TICKET_MODEL and not vals.get("access_token"):
                vals["access_token"] = self._generate_access_token()
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if vals.get("res_model") == TICKET_MODEL:
            # files moved onto a ticket (message attachments linked after upload, merge)
            self.filtered(lambda attachment: not attachment.access_token).generate_access_token()
        return res
