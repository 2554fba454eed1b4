from odoo import fields, models


class HelpdeskTicketType(models.Model):
    _name = "helpdesk.ticket.type"
    _description = "Helpdesk Ticket Type"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the type between companies.")
    portal_published = fields.Boolean(
        "Published on Portal", default=True, help="Customers can choose this type when they submit a ticket."
    )

    _sql_constraints = [
        ("name_company_uniq", "unique (name, company_id)", "A ticket type with this name already exists."),
    ]
