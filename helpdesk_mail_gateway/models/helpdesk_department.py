import ast

from odoo import fields, models


class HelpdeskDepartment(models.Model):
    _name = "helpdesk.department"
    _inherit = ["mail.alias.mixin", "helpdesk.department"]

    alias_id = fields.Many2one(
        help="Email address of the department: every mail sent to it becomes a ticket of the "
        "department (or a message on the ticket it answers).",
    )
    cc_create_partners = fields.Boolean(
        "Create Contacts for CC",
        default=True,
        help="Addresses in copy of an incoming mail follow the ticket. When checked, unknown "
        "addresses get a new contact; otherwise only existing contacts are added.",
    )
    ack_template_id = fields.Many2one(
        "mail.template",
        string="Acknowledgement Template",
        domain=[("model", "=", "helpdesk.ticket")],
        default=lambda self: self.env.ref(
            "helpdesk_mail_gateway.mail_template_ticket_acknowledgement", raise_if_not_found=False
        ),
        help="Sent to the customer when a mail creates a ticket (never to automatic replies, "
        "bounces or our own addresses). Leave empty to send no acknowledgement.",
    )

    held_mail_count = fields.Integer(
        "Held Mail", compute="_compute_held_mail_count", groups="helpdesk_ticket.group_helpdesk_manager",
        help="Mails to this department's address waiting for a manager's decision (Held Mail).",
    )

    def _compute_held_mail_count(self):
        counts = dict(self.env["helpdesk.mail.held"]._read_group(
            [("department_id", "in", self.ids), ("state", "=", "held")], ["department_id"], ["__count"],
        )) if self.ids else {}
        for department in self:
            department.held_mail_count = counts.get(department, 0)

    def action_open_held_mail(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_mail_gateway.helpdesk_mail_held_action")
        action["domain"] = [("department_id", "=", self.id)]
        return action

    def write(self, vals):
        # the alias mixin writes alias fields as superuser and silently drops them for users
        # without write access: refuse explicitly instead
        if set(vals) & set(self.ALIAS_WRITEABLE_FIELDS):
            self.check_access("write")
        return super().write(vals)

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("helpdesk.ticket")
        if self.id:
            defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults["department_id"] = self.id
            values["alias_defaults"] = defaults
            values["alias_parent_thread_id"] = self.id
        return values
