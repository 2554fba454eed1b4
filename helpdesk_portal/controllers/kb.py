import uuid

from werkzeug.exceptions import BadRequest, NotFound

from odoo import http
from odoo.http import request

from .portal import SEARCH_MAX_LENGTH, ascii_id, without_nul

SUGGESTION_LIMIT = 3
SEARCH_LIMIT = 50
SUMMARY_LENGTH = 160
FORMS = {"portal", "public"}
VISITOR_SESSION_KEY = "helpdesk_kb_visitor"


def _suggest_readonly(controller):
    """Suggestions are read on the replica unless they come from a ticket form (``form``
    is ``portal`` or ``public``): then the "suggestion shown" deflection event is written,
    on the primary."""
    try:
        params = request.get_json_data().get("params") or {}
    except ValueError:
        return True  # not JSON: Odoo answers the error, nothing is written
    # any JSON value may come as "form": only a string can name a form (a list or an
    # object is unhashable, and names none)
    return not (isinstance(params, dict) and isinstance(params.get("form"), str) and params["form"] in FORMS)


class HelpdeskKnowledgeBase(http.Controller):
    """Knowledge base pages (/helpdesk/kb), votes, and the suggestions shown while a
    customer types the subject of a new ticket (deflection).

    Articles are read as superuser with an explicit visibility domain: published, in a
    department published on the portal (or in none), of the visitor's companies."""

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _kb_companies(self):
        if request.env.user._is_public():
            return request.env.company
        return request.env.companies

    def _kb_domain(self):
        return request.env["helpdesk.article"]._portal_domain(self._kb_companies())

    def _kb_articles(self):
        return request.env["helpdesk.article"].sudo()

    def _kb_get_article(self, article_id):
        article_sudo = self._kb_articles().search([("id", "=", article_id)] + self._kb_domain(), limit=1)
        if not article_sudo:
            raise NotFound()
        return article_sudo

    def _kb_departments(self):
        Department = request.env["helpdesk.department"].sudo()
        return Department.search([
            ("portal_published", "=", True), ("company_id", "in", self._kb_companies().ids),
        ])

    def _kb_visitor_key(self):
        """Who votes: the partner of a signed-in visitor, else a random key of the session."""
        if not request.env.user._is_public():
            return f"partner-{request.env.user.partner_id.id}"
        key = request.session.get(VISITOR_SESSION_KEY)
        if not key:
            key = request.session[VISITOR_SESSION_KEY] = uuid.uuid4().hex
        return f"session-{key}"

    def _kb_visitor_partner(self):
        return request.env["res.partner"] if request.env.user._is_public() else request.env.user.partner_id

    @staticmethod
    def _kb_summary(article):
        text = article.body_text or ""
        return text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH].rstrip() + "…"

    @staticmethod
    def _kb_int(value):
        return ascii_id(value)

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------
    @http.route(["/helpdesk/kb"], type="http", auth="public", website=True, sitemap=True, readonly=True)
    @without_nul
    def helpdesk_kb(self, search=None, department=None, tag=None, **kw):
        Article = self._kb_articles()
        departments = self._kb_departments()
        domain = self._kb_domain()
        department_id = self._kb_int(department)
        current_department = departments.filtered(lambda d: d.id == department_id)
        if current_department:
            domain = domain + [("department_id", "=", current_department.id)]
        tag_id = self._kb_int(tag)
        if tag_id:
            domain = domain + [("tag_ids", "in", [tag_id])]
        search = (search or "").strip() if isinstance(search, str) else ""
        if len(search) > SEARCH_MAX_LENGTH:
            raise BadRequest()
        if search:
            articles = Article._search_matching(search, domain, limit=SEARCH_LIMIT)
        else:
            articles = Article.search(domain, limit=SEARCH_LIMIT)
        counts = dict(Article._read_group(self._kb_domain(), ["department_id"], ["__count"]))
        visible = Article.search(self._kb_domain())
        values = {
            "page_name": "helpdesk_kb",
            "articles": articles,
            "departments": departments,
            "department_counts": {dept.id: count for dept, count in counts.items() if dept},
            "tags": visible.tag_ids,
            "current_department": current_department,
            "current_tag": visible.tag_ids.filtered(lambda t: t.id == tag_id),
            "search": search,
            "summary": self._kb_summary,
        }
        return request.render("helpdesk_portal.kb_index", values)

    # read/write: each view counts (atomic UPDATE of view_count) and an article opened from
    # a suggestion records a deflection event; on a read-only cursor the first write would
    # make Odoo run the whole page again on the primary, so the page is served there
    @http.route(["/helpdesk/kb/<helpdesk_id:article_id>"], type="http", auth="public", website=True, sitemap=False)
    @without_nul
    def helpdesk_kb_article(self, article_id, fk=None, src=None, voted=None, **kw):
        article_sudo = self._kb_get_article(article_id)
        article_sudo._increment_views()
        if fk and src in FORMS:
            request.env["helpdesk.kb.event"].sudo()._record(
                "article_opened", fk, src, article_sudo.company_id,
                articles=article_sudo, partner=self._kb_visitor_partner(),
            )
        vote = request.env["helpdesk.article.vote"].sudo().search([
            ("article_id", "=", article_sudo.id), ("visitor_key", "=", self._kb_visitor_key()),
        ], limit=1)
        values = {
            "page_name": "helpdesk_kb_article",
            "article": article_sudo,
            "vote": vote,
            "just_voted": bool(voted),
            "related": self._kb_articles().search(
                self._kb_domain() + [
                    ("id", "!=", article_sudo.id),
                    ("department_id", "=", article_sudo.department_id.id),
                ], limit=5,
            ),
        }
        return request.render("helpdesk_portal.kb_article", values)

    @http.route(["/helpdesk/kb/<helpdesk_id:article_id>/vote"], type="http", auth="public", methods=["POST"], website=True)
    @without_nul
    def helpdesk_kb_vote(self, article_id, helpful=None, **kw):
        article_sudo = self._kb_get_article(article_id)
        if helpful in ("0", "1"):
            article_sudo._register_vote(
                self._kb_visitor_key(), helpful == "1", partner=self._kb_visitor_partner() or None,
            )
        return request.redirect(f"{article_sudo.portal_url}?voted=1")

    # ------------------------------------------------------------------
    # Deflection
    # ------------------------------------------------------------------
    @http.route(["/helpdesk/kb/suggest"], type="json", auth="public", website=True, readonly=_suggest_readonly)
    @without_nul
    def helpdesk_kb_suggest(self, subject=None, department_id=None, form_key=None, form=None, **kw):
        """Up to three published articles matching the subject being typed."""
        subject = (subject or "").strip() if isinstance(subject, str) else ""
        # JSON parameters may be of any type: a form and its key are strings or nothing
        form = form if isinstance(form, str) else None
        form_key = form_key if isinstance(form_key, str) else None
        if len(subject) < 2 or len(subject) > SEARCH_MAX_LENGTH:
            return []
        domain = self._kb_domain()
        if isinstance(department_id, int) and not isinstance(department_id, bool):
            department_id = str(department_id)
        department_id = ascii_id(department_id)
        if department_id:
            domain = domain + ["|", ("department_id", "=", department_id), ("department_id", "=", False)]
        articles = self._kb_articles()._search_matching(subject, domain, limit=SUGGESTION_LIMIT)
        if articles and form in FORMS:
            request.env["helpdesk.kb.event"].sudo()._record(
                "suggestion_shown", form_key, form, articles[0].company_id,
                articles=articles, partner=self._kb_visitor_partner(), query=subject,
            )
        tracked = form in FORMS and request.env["helpdesk.kb.event"]._valid_form_key(form_key)
        params = f"?fk={form_key}&src={form}" if tracked else ""
        return [
            {
                "id": article.id,
                "name": article.name,
                "summary": self._kb_summary(article),
                "url": f"{article.portal_url}{params}",
            }
            for article in articles
        ]

    @http.route(["/helpdesk/kb/abandoned"], type="http", auth="public", methods=["POST"], website=True, sitemap=False)
    @without_nul
    def helpdesk_kb_abandoned(self, form_key=None, **kw):
        """Sent by the form page (beacon) when the visitor leaves it without submitting,
        after opening a suggested article."""
        request.env["helpdesk.kb.event"].sudo()._record_abandoned(form_key)
        return request.make_response("", status=204)
