from odoo import fields, models


class MailGateway(models.Model):
    _inherit = "mail.gateway"

    helpdesk_department_id = fields.Many2one(
        "helpdesk.department", string="Helpdesk Department", index="btree_not_null", ondelete="set null",
        help="Chats of this gateway become tickets of this department: a message from a chat without "
             "an open ticket creates one, later messages go to it, agents answer from the ticket.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "helpdesk_department_id" in vals:
            # the webhook reads the gateways from mail_gateway's own cached map
            self.env.registry.clear_cache()
        return res

    def _get_gateway_data(self):
        data = super()._get_gateway_data()
        data["helpdesk"] = bool(self.helpdesk_department_id)
        return data
