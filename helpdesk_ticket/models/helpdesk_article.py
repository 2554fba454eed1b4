import logging
import re

import psycopg2

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, html2plaintext
from odoo.modules.db import has_trigram
from odoo.tools.sql import escape_psql

_logger = logging.getLogger(__name__)

SEARCH_MAX_LENGTH = 200
# below this pg_trgm word similarity, an article that does not contain the typed text is not suggested
SIMILARITY_THRESHOLD = 0.3


class HelpdeskArticle(models.Model):
    _name = "helpdesk.article"
    _description = "Helpdesk Knowledge Base Article"
    _inherit = ["mail.thread"]
    _order = "sequence, id desc"

    # translated: the title as a whole, the body paragraph by paragraph (a sanitized Html
    # field with translate=True is Odoo's html_translate, translated in the form's
    # translation dialog); the portal serves the visitor's language, English when there is
    # no translation. body_text holds the plain text of every language (_sync_body_text).
    name = fields.Char("Title", required=True, tracking=True, index="trigram", translate=True)
    body = fields.Html(sanitize=True, sanitize_style=True, translate=True)
    body_text = fields.Text(
        "Plain Text", compute="_compute_body_text", store=True, translate=True,
        help="The body without markup, searched by the suggestions and the portal search.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    department_id = fields.Many2one(
        "helpdesk.department", string="Department", index="btree_not_null", tracking=True,
        check_company=True, ondelete="set null",
        help="Category of the article on the portal. Articles of a department that is not published "
        "on the portal are never shown to customers.",
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_company_id", store=True, readonly=False, index=True,
        precompute=True, required=True,
    )
    tag_ids = fields.Many2many("helpdesk.tag", "helpdesk_article_tag_rel", "article_id", "tag_id", string="Tags")
    is_published = fields.Boolean(
        "Published", default=False, tracking=True, index=True,
        help="Published articles are shown on the portal knowledge base and suggested to customers "
        "while they type a new ticket.",
    )
    author_id = fields.Many2one(
        "res.users", string="Author", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
    )
    helpful_count = fields.Integer("Helpful Votes", readonly=True, copy=False, default=0)
    not_helpful_count = fields.Integer("Not Helpful Votes", readonly=True, copy=False, default=0)
    helpful_rate = fields.Float(
        "Helpful (%)", compute="_compute_helpful_rate", store=True, aggregator="avg",
        help="Share of the visitors' votes that said the article answered their question.",
    )
    view_count = fields.Integer("Views", readonly=True, copy=False, default=0)
    vote_ids = fields.One2many("helpdesk.article.vote", "article_id", string="Votes", readonly=True)
    portal_url = fields.Char("Public Page", compute="_compute_portal_url")

    @api.depends("department_id")
    def _compute_company_id(self):
        for article in self:
            if article.department_id:
                article.company_id = article.department_id.company_id
            elif not article.company_id:
                article.company_id = self.env.company

    @api.depends("body")
    def _compute_body_text(self):
        for article in self:
            article.body_text = " ".join(html2plaintext(article.body or "").split())

    @api.depends("helpful_count", "not_helpful_count")
    def _compute_helpful_rate(self):
        for article in self:
            total = article.helpful_count + article.not_helpful_count
            article.helpful_rate = 100.0 * article.helpful_count / total if total else 0.0

    def _compute_portal_url(self):
        for article in self:
            article.portal_url = article._get_portal_path()

    def _get_portal_path(self):
        """Path of the article's public page, False when no portal serves articles
        (overridden by helpdesk_portal)."""
        return False

    @api.model_create_multi
    def create(self, vals_list):
        articles = super().create(vals_list)
        articles._sync_body_text()
        return articles

    def write(self, vals):
        result = super().write(vals)
        if "body" in vals:
            self._sync_body_text()
        return result

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=None):
        result = super()._update_field_translations(field_name, translations, digest=digest, source_lang=source_lang)
        if field_name == "body":
            self._sync_body_text()
        return result

    def _sync_body_text(self):
        """Store the plain text of the body in every installed language: a body written in
        one language changes the others (its terms), and the compute of ``body_text``
        only knows the language of the environment. The search reads these texts."""
        if not self:
            return
        self.flush_recordset(["body"])
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for article in self:
            article._update_field_translations("body_text", {
                lang: " ".join(html2plaintext(article.with_context(lang=lang).body or "").split())
                for lang in langs
            })

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for article, vals in zip(self, vals_list):
            vals.setdefault("name", self.env._("%s (copy)", article.name))
        return vals_list

    # ------------------------------------------------------------------
    # Portal visibility
    # ------------------------------------------------------------------
    @api.model
    def _portal_domain(self, companies=None):
        """Articles customers may see: published, in no department or in a department
        published on the portal, of the given companies."""
        domain = [
            ("is_published", "=", True),
            "|", ("department_id", "=", False), ("department_id.portal_published", "=", True),
        ]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        return domain

    def _is_portal_visible(self, companies=None):
        self.ensure_one()
        return bool(self.sudo().filtered_domain(self._portal_domain(companies)))

    # ------------------------------------------------------------------
    # Search (suggestions and portal search)
    # ------------------------------------------------------------------
    def init(self):
        """Enable pg_trgm when the database allows it (Odoo creates it with new databases;
        a restricted database role may not be allowed to): the search falls back to
        substring matching without it."""
        if has_trigram(self.env.cr):
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except psycopg2.Error as error:
            _logger.info("helpdesk.article: pg_trgm unavailable (%s), substring search only", error)

    @api.model
    def _trigram_available(self):
        return has_trigram(self.env.cr)

    @api.model
    def _search_terms(self, text):
        """Normalized search text and the terms matched as substrings: the whole text and
        each word of at least two characters (Persian separates words with spaces; Thai
        does not, so a Thai sentence is one term matched as a substring and by trigrams)."""
        text = re.sub(r"\s+", " ", (text or "").strip())[:SEARCH_MAX_LENGTH]
        words = [w for w in text.split(" ") if len(w) >= 2]
        terms = list(dict.fromkeys([text] + words)) if text else []
        return text, terms

    @api.model
    def _search_matching(self, text, domain=None, limit=3):
        """Articles matching ``text`` (a partial subject typed by a customer), best first.

        Title and body are read in the language of the environment (the visitor's), with
        the fallback Odoo reads them with (English).

        Ranks with pg_trgm word similarity on the title when the extension is installed, and
        always accepts substring matches (ILIKE) of the text or of its words in the title or
        the body's plain text, so that partial input in scripts without spaces (Thai) and databases without
        pg_trgm still find articles. ``domain`` (with the caller's access rules) restricts
        the candidates; only ids that satisfy it are returned.
        """
        text, terms = self._search_terms(text)
        if not text:
            return self.browse()
        self.flush_model(["name", "body_text", "sequence"])
        candidates = self._search(domain or [])

        def contains(term):
            return f"%{escape_psql(term)}%"

        # the translated values of the visitor's language (jsonb columns)
        name = self._field_to_sql("a", "name")
        body_text = self._field_to_sql("a", "body_text")
        matches = SQL(" OR ").join(
            SQL("(%s ILIKE %s OR %s ILIKE %s)", name, contains(term), body_text, contains(term)) for term in terms
        )
        title_bonus = SQL("CASE WHEN %s ILIKE %s THEN 1 ELSE 0 END", name, contains(text))
        if self._trigram_available():
            score = SQL(
                "GREATEST(word_similarity(%s, %s), similarity(%s, %s)) + %s", text, name, text, name, title_bonus
            )
            matches = SQL("(%s) OR word_similarity(%s, %s) >= %s", matches, text, name, SIMILARITY_THRESHOLD)
        else:
            score = title_bonus
        self.env.cr.execute(SQL(
            """
            SELECT a.id
              FROM helpdesk_article a
             WHERE a.id IN (%(candidates)s) AND (%(matches)s)
          ORDER BY %(score)s DESC, a.sequence, a.id DESC
             LIMIT %(limit)s
            """,
            candidates=candidates.select(), matches=matches, score=score, limit=limit,
        ))
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    # ------------------------------------------------------------------
    # Views and votes
    # ------------------------------------------------------------------
    def _increment_views(self):
        """Count a view, atomically (several workers may serve the page at once)."""
        if not self:
            return
        self.env.cr.execute(
            "UPDATE helpdesk_article SET view_count = view_count + 1 WHERE id IN %s", [tuple(self.ids)]
        )
        self.invalidate_recordset(["view_count"])

    def _register_vote(self, visitor_key, helpful, partner=None):
        """Record the visitor's answer to "did this answer your question?".

        One vote per visitor and article (unique key in the database, several workers
        included): voting again changes the visitor's answer. The counters are recomputed
        from the votes in the same transaction."""
        self.ensure_one()
        self.env.cr.execute(
            """
            INSERT INTO helpdesk_article_vote
                   (article_id, visitor_key, partner_id, helpful, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (article_id, visitor_key)
            DO UPDATE SET helpful = EXCLUDED.helpful, write_date = EXCLUDED.write_date
            RETURNING id
            """,
            [self.id, visitor_key, partner.id if partner else None, bool(helpful), self.env.uid, self.env.uid],
        )
        vote_id = self.env.cr.fetchone()[0]
        self._update_vote_counts()
        return self.env["helpdesk.article.vote"].browse(vote_id)

    def _update_vote_counts(self):
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE helpdesk_article a
               SET helpful_count = v.helpful, not_helpful_count = v.not_helpful
              FROM (SELECT art.id,
                           COUNT(vote.id) FILTER (WHERE vote.helpful) AS helpful,
                           COUNT(vote.id) FILTER (WHERE NOT vote.helpful) AS not_helpful
                      FROM helpdesk_article art
                 LEFT JOIN helpdesk_article_vote vote ON vote.article_id = art.id
                     WHERE art.id IN %s
                  GROUP BY art.id) v
             WHERE a.id = v.id
            """,
            [tuple(self.ids)],
        )
        self.invalidate_recordset(["helpful_count", "not_helpful_count", "vote_ids"])
        self.env.add_to_compute(self._fields["helpful_rate"], self)

    # ------------------------------------------------------------------
    # Insertion into replies
    # ------------------------------------------------------------------
    def _reply_body(self, mode):
        """HTML inserted in a reply to a customer: the article's content or a link to its
        public page."""
        self.ensure_one()
        if mode == "link":
            url = self.get_base_url() + self.portal_url
            return Markup('<p>%s <a href="%s" target="_blank">%s</a></p>') % (
                self.env._("This article should answer your question:"), url, self.name,
            )
        return Markup("<p><strong>%s</strong></p>%s") % (self.name, self.body or "")

    def _reply_plaintext(self):
        self.ensure_one()
        return html2plaintext(self.body or "")

    def action_open_portal_page(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.portal_url, "target": "new"}
