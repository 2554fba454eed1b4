from odoo import api, fields, models
from odoo.exceptions import UserError


class HelpdeskArticleInsert(models.TransientModel):
    """Insert a knowledge base article into a reply to the customer: either its content or
    a link to its public page, sent at once or opened in the full composer to edit first."""

    _name = "helpdesk.article.insert"
    _description = "Insert a Knowledge Base Article in a Reply"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, ondelete="cascade")
    article_id = fields.Many2one(
        "helpdesk.article", string="Article", required=True,
        domain="[('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one(related="ticket_id.company_id")
    mode = fields.Selection(
        [("content", "Article content"), ("link", "Link to the public page")],
        default="content", required=True,
    )
    can_link = fields.Boolean(compute="_compute_preview")
    preview = fields.Html(compute="_compute_preview", sanitize=False)

    @api.depends("article_id", "mode")
    def _compute_preview(self):
        for wizard in self:
            article = wizard.article_id
            wizard.can_link = bool(article and article.portal_url and article._is_portal_visible())
            if not article or (wizard.mode == "link" and not wizard.can_link):
                wizard.preview = False
            else:
                wizard.preview = article._reply_body(wizard.mode)

    def _reply_body(self):
        self.ensure_one()
        self.ticket_id.check_access("write")
        if self.mode == "link" and not self.can_link:
            raise UserError(self.env._(
                "The article %s is not published on the portal: insert its content instead.",
                self.article_id.name,
            ))
        return self.article_id._reply_body(self.mode)

    def action_send(self):
        """Post the article as a reply to the customer."""
        self.ensure_one()
        self.ticket_id.message_post(
            body=self._reply_body(),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return {"type": "ir.actions.act_window_close"}

    def action_edit_in_composer(self):
        """Open the full reply composer pre-filled with the article."""
        self.ensure_one()
        body = self._reply_body()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "helpdesk.ticket",
                "default_res_ids": self.ticket_id.ids,
                "default_composition_mode": "comment",
                "default_message_type": "comment",
                "default_subtype_xmlid": "mail.mt_comment",
                "default_body": body,
            },
        }
