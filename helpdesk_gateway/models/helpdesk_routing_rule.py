from odoo import fields, models

from ..channels import GATEWAY_CHANNELS, channels_ondelete


class HelpdeskRoutingRule(models.Model):
    _inherit = "helpdesk.routing.rule"

    channel = fields.Selection(selection_add=GATEWAY_CHANNELS, ondelete=channels_ondelete("set null"))
