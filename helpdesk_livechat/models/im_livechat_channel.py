from odoo import fields, models


class ImLivechatChannel(models.Model):
    _inherit = "im_livechat.channel"

    helpdesk_department_id = fields.Many2one(
        "helpdesk.department",
        string="Helpdesk Department",
        help="Department of the tickets created with /ticket in this channel's conversations. "
        "Routing rules still apply.",
    )
