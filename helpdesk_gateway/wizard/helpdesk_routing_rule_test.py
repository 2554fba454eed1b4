from odoo import fields, models

from ..channels import GATEWAY_CHANNELS, channels_ondelete


class HelpdeskRoutingRuleTest(models.TransientModel):
    _inherit = "helpdesk.routing.rule.test"

    channel = fields.Selection(selection_add=GATEWAY_CHANNELS, ondelete=channels_ondelete("set default"))
