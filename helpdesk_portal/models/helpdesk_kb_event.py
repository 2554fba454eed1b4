import re

from odoo import api, fields, models
from odoo.tools import SQL

EVENT_TYPES = [
    ("suggestion_shown", "Suggestion Shown"),
    ("article_opened", "Article Opened"),
    ("form_abandoned", "Form Abandoned"),
]
FORMS = [
    ("portal", "Portal (/my/tickets/new)"),
    ("public", "Public Form (/helpdesk/submit)"),
]
FORM_KEY_RE = re.compile(r"^[A-Za-z0-9-]{16,64}$")
QUERY_MAX_LENGTH = 200


class HelpdeskKbEvent(models.Model):
    """Deflection events of the ticket forms: which articles were suggested while a customer
    typed a subject, which were opened, and whether the form was then left without a ticket.

    ``form_key`` identifies one display of a ticket form (a random key made by the page).
    Each event is recorded once per form display (and article): the unique index makes
    repeated requests (every keystroke, several workers) harmless."""

    _name = "helpdesk.kb.event"
    _description = "Knowledge Base Deflection Event"
    _order = "id desc"
    _log_access = True

    event_type = fields.Selection(EVENT_TYPES, required=True, index=True)
    form_key = fields.Char(required=True, index=True)
    form = fields.Selection(FORMS, required=True)
    article_id = fields.Many2one("helpdesk.article", ondelete="cascade", index="btree_not_null")
    partner_id = fields.Many2one("res.partner", string="Customer", ondelete="set null", index="btree_not_null")
    company_id = fields.Many2one("res.company", required=True, index=True)
    query = fields.Char("Typed Subject")

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS helpdesk_kb_event_once_idx
                ON helpdesk_kb_event (form_key, event_type, COALESCE(article_id, 0))
            """
        )

    @api.model
    def _valid_form_key(self, form_key):
        return isinstance(form_key, str) and bool(FORM_KEY_RE.match(form_key))

    @api.model
    def _record(self, event_type, form_key, form, company, articles=None, partner=None, query=None):
        """Record events (once each) without going through the ORM create: it runs for
        anonymous visitors, on every suggestion request. Returns how many were new."""
        if not self._valid_form_key(form_key) or form not in dict(FORMS):
            return 0
        article_ids = articles.ids if articles else [None]
        rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
                event_type, form_key, form, article_id, partner.id if partner else None, company.id,
                (query or "")[:QUERY_MAX_LENGTH] or None, self.env.uid, self.env.uid,
            )
            for article_id in article_ids
        ]
        self.env.cr.execute(SQL(
            """
            INSERT INTO helpdesk_kb_event
                   (event_type, form_key, form, article_id, partner_id, company_id, query,
                    create_uid, write_uid, create_date, write_date)
            VALUES %s
            ON CONFLICT (form_key, event_type, COALESCE(article_id, 0)) DO NOTHING
            """,
            SQL(", ").join(rows),
        ))
        return self.env.cr.rowcount

    @api.model
    def _record_abandoned(self, form_key):
        """The visitor left the form without submitting it after opening a suggested article."""
        if not self._valid_form_key(form_key):
            return 0
        opened = self.search(
            [("form_key", "=", form_key), ("event_type", "=", "article_opened")], order="id desc", limit=1
        )
        if not opened:
            return 0
        return self._record("form_abandoned", form_key, opened.form, opened.company_id, partner=opened.partner_id)
