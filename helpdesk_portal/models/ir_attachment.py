from odoo import api, models

TICKET_MODEL = "helpdesk.ticket"


class IrAttachment(models.Model):
    """A customer's own upload on a helpdesk ticket (portal or public form, portal
    chatter) carries its download token from the start.

    The ticket page lists the customer's files with links holding each file's token; it
    used to give the token on the first view, which is a write and the page is a
    read-only route (served by a replica with ``db_replica_host``). The files of the
    messages shown to the customer get theirs when posted (helpdesk.ticket); files of
    agents (internal notes, files dropped on the ticket) never get one, and other
    records' attachments are left as Odoo makes them."""

    _inherit = "ir.attachment"

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.user.share:
            for vals in vals_list:
                if vals.get("res_model") == TICKET_MODEL and not vals.get("access_token"):
                    vals["access_token"] = self._generate_access_token()
        return super().create(vals_list)
