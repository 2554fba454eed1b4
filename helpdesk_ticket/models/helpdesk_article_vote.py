from odoo import fields, models


class HelpdeskArticleVote(models.Model):
    """One answer to "did this answer your question?" per visitor and article.

    ``visitor_key`` identifies the visitor: ``partner-<id>`` for a signed-in user, a random
    key kept in the session for an anonymous visitor. The unique constraint holds the
    one-vote rule in the database, whatever the number of workers."""

    _name = "helpdesk.article.vote"
    _description = "Helpdesk Article Vote"
    _order = "id desc"

    article_id = fields.Many2one("helpdesk.article", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="article_id.company_id", store=True, index=True)
    visitor_key = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", string="Visitor", ondelete="set null", index="btree_not_null")
    helpful = fields.Boolean()

    _sql_constraints = [
        ("article_visitor_uniq", "unique (article_id, visitor_key)", "A visitor votes once per article."),
    ]
