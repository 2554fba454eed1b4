from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class HelpdeskArticleFromTicket(models.TransientModel):
    """Turn the answer of a solved ticket into a knowledge base article: the title from the
    ticket's subject, the body from the chosen reply, the department and tags of the ticket.
    The article is created unpublished (a draft) for a manager or the author to review."""

    _name = "helpdesk.article.from.ticket"
    _description = "Create a Knowledge Base Article from a Ticket"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, ondelete="cascade")
    message_id = fields.Many2one(
        "mail.message", string="Reply",
        domain="[('model', '=', 'helpdesk.ticket'), ('res_id', '=', ticket_id),"
        " ('message_type', 'in', ('comment', 'email')), ('body', '!=', False)]",
        help="The message whose text becomes the body of the article (by default the last reply "
        "sent to the customer).",
    )
    # computed as the user (not as superuser, the default of stored computed fields): the
    # ticket and the message are ids from the client, their texts are copied only for a
    # user who may read them
    name = fields.Char(
        "Title", compute="_compute_from_ticket", store=True, readonly=False, required=True, precompute=True,
        compute_sudo=False,
    )
    department_id = fields.Many2one(
        "helpdesk.department", compute="_compute_from_ticket", store=True, readonly=False, precompute=True,
        compute_sudo=False,
    )
    tag_ids = fields.Many2many(
        "helpdesk.tag", compute="_compute_from_ticket", store=True, readonly=False, precompute=True,
        compute_sudo=False,
    )
    body = fields.Html(
        compute="_compute_body", store=True, readonly=False, sanitize=True, precompute=True, compute_sudo=False,
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ticket = self.env["helpdesk.ticket"].browse(values.get("ticket_id"))
        if ticket and "message_id" in fields_list and not values.get("message_id"):
            values["message_id"] = self._last_agent_reply(ticket).id
        return values

    @api.model
    def _last_agent_reply(self, ticket):
        """The last public reply of an agent on ``ticket`` (an empty recordset if none)."""
        messages = self.env["mail.message"].search([
            ("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
            ("message_type", "in", ("comment", "email", "email_outgoing")),
            ("subtype_id.internal", "=", False),
        ], order="id desc", limit=20)
        return next((m for m in messages if ticket._is_agent_message(m)), messages.browse())

    @api.depends("ticket_id")
    def _compute_from_ticket(self):
        for wizard in self:
            wizard.name = wizard.ticket_id.name
            wizard.department_id = wizard.ticket_id.department_id
            wizard.tag_ids = wizard.ticket_id.tag_ids

    @api.depends("message_id")
    def _compute_body(self):
        """The chosen reply's text, if it is a message of the wizard's ticket (any other
        message, even one the user may read, is refused by ``_check_message``); else the
        ticket's description."""
        for wizard in self:
            message = wizard.message_id.sudo()
            of_ticket = message.model == "helpdesk.ticket" and message.res_id == wizard.ticket_id.id
            description = wizard.ticket_id.description
            wizard.body = (message.body if of_ticket else False) or description

    def _check_message(self):
        """The reply must be a message of this ticket (the id comes from the client)."""
        self.ensure_one()
        message = self.message_id
        if message and (message.model != "helpdesk.ticket" or message.res_id != self.ticket_id.id):
            raise UserError(self.env._("The selected reply does not belong to the ticket %s.", self.ticket_id.number))

    def action_create_article(self):
        self.ensure_one()
        self.ticket_id.check_access("read")
        self._check_message()
        article = self.env["helpdesk.article"].create({
            "name": self.name,
            "body": self.body,
            "department_id": self.department_id.id,
            "tag_ids": [Command.set(self.tag_ids.ids)],
            "company_id": self.ticket_id.company_id.id,
            "is_published": False,
        })
        article.message_post(
            body=self.env._("Drafted from the ticket %s.", self.ticket_id._get_html_link()),
            subtype_xmlid="mail.mt_note",
        )
        self.ticket_id.message_post(
            body=self.env._("Knowledge base article drafted: %s.", article._get_html_link()),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.article",
            "res_id": article.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
