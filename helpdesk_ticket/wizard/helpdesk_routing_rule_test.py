from markupsafe import Markup

from odoo import api, fields, models

from ..models.helpdesk_ticket import CHANNELS


class HelpdeskRoutingRuleTest(models.TransientModel):
    """The "test this rule" box: shows which routing rules a ticket with the given
    subject, description, sender and channel would trigger, and the result."""

    _name = "helpdesk.routing.rule.test"
    _description = "Test Helpdesk Routing Rules"

    rule_id = fields.Many2one("helpdesk.routing.rule", string="Rule Being Tested")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    subject = fields.Char()
    body = fields.Text("Description")
    sender = fields.Char("Sender Email")
    channel = fields.Selection(CHANNELS, default="email", required=True)
    department_id = fields.Many2one(
        "helpdesk.department", string="Department Before Routing",
        domain="[('company_id', '=', company_id)]",
        help="The department the channel gives the ticket (e.g. the alias it was sent to), if any.",
    )
    matching_rule_ids = fields.Many2many(
        "helpdesk.routing.rule", compute="_compute_result", string="Applied Rules",
    )
    rule_matches = fields.Boolean(compute="_compute_result", string="The Tested Rule Applies")
    result_html = fields.Html(compute="_compute_result", string="Result", sanitize=False)

    @api.depends("subject", "body", "sender", "channel", "department_id", "company_id", "rule_id")
    def _compute_result(self):
        Rule = self.env["helpdesk.routing.rule"]
        for wizard in self:
            rules = Rule._rules_for_company(wizard.company_id).with_env(self.env)
            data = Rule._prepare_match_data(
                wizard.subject, wizard.body and Markup("<p>%s</p>") % wizard.body,
                wizard.sender, wizard.channel, wizard.department_id.id,
            )
            applied, values = rules._evaluate(data)
            wizard.matching_rule_ids = applied
            wizard.rule_matches = bool(wizard.rule_id and wizard.rule_id in applied)
            wizard.result_html = wizard._render_result(applied, values)

    def _render_result(self, applied, values):
        _ = self.env._
        if not applied:
            return Markup("<p>%s</p>") % _("No rule applies: the ticket keeps its channel's department "
                                           "and is assigned by that department's method.")
        outcome = []
        if values.get("department_id"):
            outcome.append(_("Department: %s", self.env["helpdesk.department"].browse(values["department_id"]).display_name))
        if values.get("priority"):
            labels = dict(self.env["helpdesk.ticket"]._fields["priority"]._description_selection(self.env))
            outcome.append(_("Priority: %s", labels[values["priority"]]))
        if values.get("type_id"):
            outcome.append(_("Type: %s", self.env["helpdesk.ticket.type"].browse(values["type_id"]).display_name))
        if values.get("tag_ids"):
            tags = self.env["helpdesk.tag"].browse([command[1] for command in values["tag_ids"]])
            outcome.append(_("Tags: %s", ", ".join(tags.mapped("display_name"))))
        if values.get("user_id"):
            outcome.append(_("Assigned to: %s", self.env["res.users"].browse(values["user_id"]).display_name))
        items = Markup("").join(Markup("<li>%s</li>") % line for line in outcome)
        return applied._log_message() + Markup("<p class='mt-2 mb-1'><strong>%s</strong></p><ul>%s</ul>") % (
            _("Resulting ticket"), items,
        )
