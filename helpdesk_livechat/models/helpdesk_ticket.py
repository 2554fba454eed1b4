from odoo import fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    livechat_channel_id = fields.Many2one(
        "discuss.channel", string="Live Chat Conversation", index="btree_not_null", copy=False,
        readonly=True, ondelete="set null",
    )
