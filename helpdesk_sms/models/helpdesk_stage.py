from odoo import fields, models


class HelpdeskStage(models.Model):
    _inherit = "helpdesk.stage"

    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "helpdesk.ticket")],
        help="Text message sent to the customer's mobile when a ticket enters this stage.",
    )
