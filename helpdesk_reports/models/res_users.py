from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    helpdesk_capacity = fields.Integer(
        "Ticket Capacity", default=15,
        help="Open helpdesk tickets this agent can carry; the workload board shows who is over it "
        "(0: no limit).",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["helpdesk_capacity"]
