from odoo import api, fields, models, tools


class HelpdeskStage(models.Model):
    _name = "helpdesk.stage"
    _inherit = ["helpdesk.cached.config.mixin"]
    _description = "Helpdesk Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean("Folded in Kanban")
    closed = fields.Boolean(
        "Resolution Stage",
        help="Tickets in this stage are considered resolved or cancelled: they leave the open "
        "queue, their resolution date is set and their SLA resolution clock stops.",
    )
    waiting_customer = fields.Boolean(
        "Waiting on Customer",
        help="Tickets in this stage wait for the customer: SLA clocks are paused.",
    )
    department_ids = fields.Many2many(
        "helpdesk.department",
        "helpdesk_department_stage_rel",
        "stage_id",
        "department_id",
        string="Departments",
        help="Departments using this stage. Leave empty to use it in every department.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "helpdesk.ticket")],
        help="Sent to the customer when a ticket enters this stage.",
    )
    description = fields.Text(translate=True)

    @api.model
    def _domain_for_department(self, department):
        return ["|", ("department_ids", "=", False), ("department_ids", "in", department.ids)]

    @api.model
    def _first_open_stage(self, department):
        """First open (not closed, not waiting) stage usable by ``department``."""
        return self.browse(self._first_open_stage_id(department.id))

    @api.model
    @tools.ormcache("department_id")
    def _first_open_stage_id(self, department_id):
        """Id of ``_first_open_stage`` (or False), cached per worker (every new ticket
        asks for it) and cleared when a stage is created, changed or deleted."""
        department = self.env["helpdesk.department"].browse(department_id or ())
        return self.sudo().with_context(active_test=True).search(
            [("closed", "=", False), ("waiting_customer", "=", False)] + self._domain_for_department(department),
            order="sequence, id",
            limit=1,
        ).id
