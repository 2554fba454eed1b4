import base64
import functools
import logging
from collections import OrderedDict

from werkzeug.exceptions import BadRequest
from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize, groupby as groupbyelem, plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal, pager as portal_pager

_logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20000
NAME_MAX_LENGTH = 128
# Honeypot: a field hidden from humans by CSS; bots that fill every input give themselves away.
HONEYPOT_FIELD = "hp_website"
RATING_VALUES = {"5", "3", "1"}
NUMBER_MAX_LENGTH = 32
EMAIL_MAX_LENGTH = 254
SEARCH_MAX_LENGTH = 200
TOKEN_MAX_LENGTH = 128
FILE_NAME_MAX_LENGTH = 255
#: largest value of a PostgreSQL ``integer`` column (ids)
PG_INT_MAX = 2**31 - 1


def ascii_id(value):
    """The positive integer written in ``value`` with ASCII digits only, fitting an
    ``integer`` column, else None. ``str.isdigit`` accepts '²' (and ``int()`` then
    fails) and ``int()`` accepts '٣' or '๓': neither is an id of a form."""
    if not isinstance(value, str) or not 0 < len(value) <= 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= PG_INT_MAX else None


def without_nul(route):
    """Decorator (under ``http.route``) removing NUL characters from the string
    parameters of a route: PostgreSQL cannot take them in text, and a request
    carrying one must get a normal answer, not a server error."""

    @functools.wraps(route)
    def wrapper(self, *args, **params):
        params = {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in params.items()}
        return route(self, *args, **params)

    return wrapper

def readonly_on_get(controller):
    """``readonly`` of a route serving a page on GET and a form on POST (Odoo 18 accepts a
    callable, evaluated per request before the transaction is opened): the page is read
    on a replica (``db_replica_host``), the form's POST writes on the primary."""
    return request.httprequest.method in ("GET", "HEAD")


# Read-only routes (Odoo 18, ``readonly=True``): their transaction is opened on the
# replica when the server has ``db_replica_host``, else on the primary in a READ ONLY
# transaction. A write there raises ReadOnlySqlTransaction and Odoo runs the whole request
# again on the primary (odoo.http.Request._transactioning), so a read-only route must
# write nothing: helpdesk_portal/tests/test_readonly_routes.py runs each of them on a
# read-only cursor.
# Routes that write stay read/write: the forms' POST (tickets, rate-limit attempts, the
# mailed link of the status page), close/reopen/rate, the article page (view counter and
# deflection events) and the votes.


class HelpdeskCustomerPortal(CustomerPortal):
    _tickets_per_page = 20

    # ------------------------------------------------------------------
    # Portal home
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "helpdesk_ticket_count" in counters:
            Ticket = request.env["helpdesk.ticket"]
            values["helpdesk_ticket_count"] = (
                Ticket.search_count(self._helpdesk_ticket_domain()) if Ticket.has_access("read") else 0
            )
        return values

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _helpdesk_ticket_domain(self):
        """Tickets listed for the visitor: their own, their company's and those they follow.

        The record rules of helpdesk.ticket apply on top of this domain."""
        partner = request.env.user.partner_id
        return [
            "|", "|",
            ("partner_id", "=", partner.id),
            ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("id", "in", self._helpdesk_followed_ticket_ids(partner)),
        ]

    def _helpdesk_followed_ticket_ids(self, partner):
        """Ids of the tickets ``partner`` follows, read first (one indexed query).

        ``message_partner_ids`` would put a sub-select inside the OR of the domain above,
        which PostgreSQL can only answer by scanning the whole ticket table; a short list
        of ids keeps every branch of the OR on an index. Only the visitor's own follower
        entries are read (sudo: portal users cannot read mail.followers), and the record
        rules of helpdesk.ticket still apply to the search made with this domain."""
        followers = request.env["mail.followers"].sudo().search_fetch(
            [("res_model", "=", "helpdesk.ticket"), ("partner_id", "=", partner.id)], ["res_id"],
        )
        return followers.mapped("res_id")

    def _helpdesk_searchbar_sortings(self):
        _ = request.env._
        return {
            "newest": {"label": _("Newest"), "order": "create_date desc, id desc"},
            "update": {"label": _("Last Update"), "order": "write_date desc, id desc"},
            "priority": {"label": _("Priority"), "order": "priority desc, create_date desc, id desc"},
            "status": {"label": _("Status"), "order": "stage_id, create_date desc, id desc"},
        }

    def _helpdesk_searchbar_filters(self):
        _ = request.env._
        return OrderedDict([
            ("all", {"label": _("All"), "domain": []}),
            ("open", {"label": _("Open"), "domain": [("closed", "=", False)]}),
            ("closed", {"label": _("Closed"), "domain": [("closed", "=", True)]}),
        ])

    def _helpdesk_searchbar_groupby(self):
        _ = request.env._
        return OrderedDict([
            ("none", {"label": _("None"), "field": False}),
            ("department", {"label": _("Department"), "field": "department_id"}),
            ("status", {"label": _("Status"), "field": "stage_id"}),
        ])

    def _helpdesk_searchbar_inputs(self):
        _ = request.env._
        return {
            "all": {"input": "all", "label": _("Search in Number and Subject")},
            "number": {"input": "number", "label": _("Search in Number")},
            "name": {"input": "name", "label": _("Search in Subject")},
        }

    def _helpdesk_search_domain(self, search_in, search):
        if not search:
            return []
        if search_in == "number":
            return [("number", "ilike", search)]
        if search_in == "name":
            return [("name", "ilike", search)]
        return ["|", ("number", "ilike", search), ("name", "ilike", search)]

    def _helpdesk_check_ticket(self, ticket_id, access_token=None):
        """The ticket (sudo) if the visitor may access it, else None: record rules, the
        ticket's portal token (links of acknowledgements and notifications) or a link
        sent by the status page, still valid (see ``_portal_check_link_token``)."""
        if access_token is not None and (
            not isinstance(access_token, str) or len(access_token) > TOKEN_MAX_LENGTH or not access_token.isascii()
        ):
            # (Odoo compares tokens with hmac.compare_digest, which refuses non-ASCII text)
            return None
        Ticket = request.env["helpdesk.ticket"]
        if Ticket._portal_is_link_token(access_token):
            ticket_sudo = Ticket.sudo().browse(ticket_id).exists()
            if ticket_sudo and ticket_sudo._portal_check_link_token(access_token):
                return self._helpdesk_not_sub_ticket(ticket_sudo)
            # an expired link: a reader with access rights still reads the ticket
            access_token = None
        try:
            ticket_sudo = self._document_check_access("helpdesk.ticket", ticket_id, access_token)
        except (AccessError, MissingError):
            return None
        return self._helpdesk_not_sub_ticket(ticket_sudo)

    def _helpdesk_not_sub_ticket(self, ticket_sudo):
        """``ticket_sudo``, unless it is a sub-ticket (work handed to another department)
        and the visitor is not an internal user: a customer never sees one, even with a
        token (the record rules hide them as well)."""
        if ticket_sudo.parent_id and not request.env.user._is_internal():
            return None
        return ticket_sudo

    def _helpdesk_denied(self, ticket_id, access_token=None):
        """Answer for a ticket the visitor may not see: nothing about the ticket is shown."""
        if access_token and request.env["helpdesk.ticket"]._portal_is_link_token(access_token):
            # a link of the status page that expired or was revoked: say how to get a new
            # one (the same page whatever the ticket, nothing about it is shown)
            return request.render(
                "helpdesk_portal.public_link_expired",
                {"page_name": "helpdesk_track", "validity_days": request.env["helpdesk.ticket"]._portal_link_validity_days()},
                status=404,
            )
        if access_token:
            return request.not_found()
        if request.env.user._is_public():
            return request.redirect("/web/login?%s" % url_encode({"redirect": f"/my/tickets/{int(ticket_id)}"}))
        return request.redirect("/my/tickets")

    def _helpdesk_ticket_url(self, ticket_sudo, access_token=None, **params):
        if access_token:
            params["access_token"] = access_token
        query = f"?{url_encode(params)}" if params else ""
        return f"{ticket_sudo.access_url}{query}"

    def _helpdesk_visitor_partner(self, ticket_sudo):
        """Partner acting on the ticket: the logged-in user, else the ticket's customer
        (a guest holding the ticket's access token)."""
        if request.env.user._is_public():
            return ticket_sudo.partner_id
        return request.env.user.partner_id

    def _helpdesk_config_int(self, key, default):
        try:
            return int(request.env["ir.config_parameter"].sudo().get_param(key, default))
        except (TypeError, ValueError):
            return default

    def _helpdesk_read_attachments(self, errors):
        """Uploaded files of the form (several allowed), checked against the count and size limits."""
        _ = request.env._
        max_count = self._helpdesk_config_int("helpdesk_portal.attachment_max_count", 5)
        max_size_mb = self._helpdesk_config_int("helpdesk_portal.attachment_max_size_mb", 10)
        files = [f for f in request.httprequest.files.getlist("attachments") if f and f.filename]
        if len(files) > max_count:
            errors["attachments"] = _("You can attach at most %(count)s files.", count=max_count)
            return []
        attachments = []
        for upload in files:
            content = upload.read(max_size_mb * 1024 * 1024 + 1)
            if len(content) > max_size_mb * 1024 * 1024:
                errors["attachments"] = _(
                    "The file %(name)s is larger than %(size)s MB.", name=upload.filename, size=max_size_mb
                )
                return []
            attachments.append({"name": self._helpdesk_file_name(upload.filename), "raw": content,
                                "mimetype": upload.mimetype})
        return attachments

    def _helpdesk_file_name(self, filename):
        """The name an uploaded file is kept under: the browser's, without control
        characters (PostgreSQL refuses NUL: the ticket would be made, its files not),
        at most ``FILE_NAME_MAX_LENGTH`` characters with its extension kept."""
        name = " ".join("".join(char for char in filename if char >= " " and char != "\x7f").split())
        if len(name) > FILE_NAME_MAX_LENGTH:
            stem, dot, extension = name.rpartition(".")
            extension = extension[:16] if dot and stem else ""
            name = name[:FILE_NAME_MAX_LENGTH - len(extension) - 1].rstrip() + ("." + extension if extension else "")
        return name or request.env._("attachment")

    def _helpdesk_attach(self, ticket_sudo, attachments):
        if not attachments:
            return request.env["ir.attachment"]
        return request.env["ir.attachment"].sudo().create([
            {
                "name": attachment["name"],
                "datas": base64.b64encode(attachment["raw"]),
                "res_model": "helpdesk.ticket",
                "res_id": ticket_sudo.id,
            }
            for attachment in attachments
        ])

    def _helpdesk_form_companies(self):
        if request.env.user._is_public():
            return request.env.company
        return request.env.companies

    def _helpdesk_published_departments(self):
        Department = request.env["helpdesk.department"].sudo()
        return Department.search([
            ("portal_published", "=", True),
            ("company_id", "in", self._helpdesk_form_companies().ids),
        ])

    def _helpdesk_create_from_form(self, vals, attachments, errors):
        """Create the ticket of a validated form (sudo: the caller checked the input and
        decided who the customer is) with its attachments; on a business error, record
        it in ``errors`` and return None so that the form is shown again."""
        try:
            ticket_sudo = request.env["helpdesk.ticket"].sudo().create(vals)
        except (UserError, ValidationError) as error:
            errors["form"] = str(error)
            return None
        self._helpdesk_attach(ticket_sudo, attachments)
        return ticket_sudo

    def _helpdesk_validate_ticket_form(self, post, errors):
        """Common fields of the portal and public forms. Returns the ticket values."""
        _ = request.env._
        departments = self._helpdesk_published_departments()
        department = departments.browse()
        department_id = ascii_id(post.get("department_id"))
        if department_id:
            department = departments.filtered(lambda d: d.id == department_id)
        if not department:
            errors["department_id"] = _("Please choose a department.")
        subject = (post.get("subject") or "").strip()
        if not subject:
            errors["subject"] = _("Please give your request a subject.")
        elif len(subject) > SUBJECT_MAX_LENGTH:
            errors["subject"] = _("The subject is limited to %(count)s characters.", count=SUBJECT_MAX_LENGTH)
        description = (post.get("description") or "").strip()
        if not description:
            errors["description"] = _("Please describe your request.")
        elif len(description) > DESCRIPTION_MAX_LENGTH:
            errors["description"] = _(
                "The description is limited to %(count)s characters.", count=DESCRIPTION_MAX_LENGTH
            )
        vals = {
            "name": subject,
            "description": plaintext2html(description),
            "department_id": department.id,
        }
        type_value = post.get("type_id") or ""
        if type_value:
            type_id = ascii_id(type_value)
            ticket_type = request.env["helpdesk.ticket.type"].sudo().search(
                [("id", "=", type_id), ("company_id", "in", [False] + department.company_id.ids)]
            ) if type_id else request.env["helpdesk.ticket.type"]
            if ticket_type:
                vals["type_id"] = ticket_type.id
            else:
                errors["type_id"] = _("Please choose a valid type.")
        if department:
            # the chosen department's custom fields only (the form holds every department's)
            properties = department._portal_read_properties(post, errors)
            if properties:
                vals["ticket_properties"] = properties
        return vals

    def _helpdesk_form_values(self, post, errors, **extra):
        departments = self._helpdesk_published_departments()
        return {
            "departments": departments,
            "properties_by_department": {department.id: department._portal_properties() for department in departments},
            "ticket_types": request.env["helpdesk.ticket.type"].sudo().search(
                [("company_id", "in", [False] + self._helpdesk_form_companies().ids)]
            ),
            "form": {k: v for k, v in post.items() if isinstance(v, str)},
            "errors": errors,
            "honeypot_field": HONEYPOT_FIELD,
            "attachment_max_count": self._helpdesk_config_int("helpdesk_portal.attachment_max_count", 5),
            "attachment_max_size_mb": self._helpdesk_config_int("helpdesk_portal.attachment_max_size_mb", 10),
            **extra,
        }

    def _helpdesk_client_ip(self):
        """Rate-limit key of the client (IPv6 by /64). Behind a reverse proxy, Odoo takes
        the client address from X-Forwarded-For only with ``--proxy-mode`` and when
        the request carries X-Forwarded-Host (see SECURITY.md)."""
        return request.env["helpdesk.portal.attempt"]._client_key(request.httprequest.remote_addr)

    # ------------------------------------------------------------------
    # /my/tickets
    # ------------------------------------------------------------------
    @http.route(["/my/tickets", "/my/tickets/page/<helpdesk_id:page>"], type="http", auth="user", website=True,
                readonly=True)
    @without_nul
    def portal_my_tickets(self, page=1, sortby=None, filterby=None, groupby=None, search=None, search_in="all", **kw):
        if search is not None and (not isinstance(search, str) or len(search) > SEARCH_MAX_LENGTH):
            raise BadRequest()
        if not isinstance(page, int):
            # ?page=… in the query (Odoo's pager takes '²' for a digit and fails on it)
            page = ascii_id(page) or 1
        values = self._prepare_portal_layout_values()
        Ticket = request.env["helpdesk.ticket"]
        sortings = self._helpdesk_searchbar_sortings()
        filters = self._helpdesk_searchbar_filters()
        groupbys = self._helpdesk_searchbar_groupby()
        inputs = self._helpdesk_searchbar_inputs()
        sortby = sortby if sortby in sortings else "newest"
        filterby = filterby if filterby in filters else "all"
        groupby = groupby if groupby in groupbys else "none"
        search_in = search_in if search_in in inputs else "all"

        domain = expression.AND([
            self._helpdesk_ticket_domain(),
            filters[filterby]["domain"],
            self._helpdesk_search_domain(search_in, search),
        ])
        order = sortings[sortby]["order"]
        group_field = groupbys[groupby]["field"]
        if group_field:
            order = f"{group_field}, {order}"

        ticket_count = Ticket.search_count(domain) if Ticket.has_access("read") else 0
        pager = portal_pager(
            url="/my/tickets",
            url_args={"sortby": sortby, "filterby": filterby, "groupby": groupby,
                      "search": search, "search_in": search_in},
            total=ticket_count,
            page=page,
            step=self._tickets_per_page,
        )
        tickets = Ticket.search(domain, order=order, limit=self._tickets_per_page, offset=pager["offset"])
        request.session["my_tickets_history"] = tickets.ids[:100]
        # the visitor may read these tickets (rules applied above): show them with their
        # department, stage and agent names, prefetched for the whole page at once
        tickets_sudo = tickets.sudo()
        if group_field:
            grouped_tickets = [
                tickets_sudo.browse([ticket.id for ticket in group]).with_prefetch(tickets_sudo._prefetch_ids)
                for _key, group in groupbyelem(tickets_sudo, lambda t: t[group_field])
            ]
        else:
            grouped_tickets = [tickets_sudo] if tickets_sudo else []

        values.update({
            "page_name": "helpdesk_tickets",
            "default_url": "/my/tickets",
            "tickets": tickets_sudo,
            "grouped_tickets": grouped_tickets,
            "pager": pager,
            "searchbar_sortings": sortings,
            "searchbar_filters": filters,
            "searchbar_groupby": groupbys,
            "searchbar_inputs": inputs,
            "sortby": sortby,
            "filterby": filterby,
            "groupby": groupby,
            "search": search,
            "search_in": search_in,
        })
        return request.render("helpdesk_portal.portal_my_tickets", values)

    # ------------------------------------------------------------------
    # /my/tickets/<id>
    # ------------------------------------------------------------------
    def _helpdesk_ticket_page_values(self, ticket_sudo, access_token, **kwargs):
        # read-only route: tickets get their portal token at creation (field default), the
        # files listed here theirs when uploaded by the customer or posted on a message
        # shown to the customer (this addon's ir.attachment and helpdesk.ticket), so both
        # calls below write nothing; a ticket or file older than that gets its token once,
        # the request being run again on the primary by Odoo (ReadOnlySqlTransaction)
        ticket_sudo._portal_ensure_token()
        attachments = ticket_sudo._portal_attachments()
        attachments.generate_access_token()
        values = {
            "page_name": "helpdesk_ticket",
            "ticket": ticket_sudo,
            "attachments": attachments,
            "can_close": ticket_sudo._portal_can_close(),
            "can_reopen": ticket_sudo._portal_can_reopen(),
            "reopen_deadline": ticket_sudo._portal_reopen_deadline(),
            "can_rate": ticket_sudo._portal_can_rate(),
            "last_rating": ticket_sudo._portal_last_rating(),
            "expectations": ticket_sudo._portal_expectations(self._helpdesk_visitor_partner(ticket_sudo)),
            "custom_fields": ticket_sudo._portal_custom_fields(),
            "message": kwargs.get("message"),
            "error_message": kwargs.get("error_message"),
            "ticket_access_token": access_token,
        }
        values = self._get_page_view_values(
            ticket_sudo, access_token, values, "my_tickets_history", False, **kwargs
        )
        # The page never hands out a credential the visitor did not bring: the chatter
        # works with the token of the visitor's link (the ticket's portal token or a
        # link of the status page), else with the logged-in reader's access rights.
        # Readers who are not the customer (colleagues, followers, agents) never see
        # the ticket's portal token.
        values["token"] = access_token or None
        return values

    @http.route(["/my/tickets/<helpdesk_id:ticket_id>"], type="http", auth="public", website=True, readonly=True)
    @without_nul
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._helpdesk_check_ticket(ticket_id, access_token)
        if not ticket_sudo:
            return self._helpdesk_denied(ticket_id, access_token)
        _ = request.env._
        messages = {
            "closed": _("Your ticket has been closed. Thank you!"),
            "reopened": _("Your ticket has been reopened."),
            "rated": _("Thank you for your feedback!"),
            "created": _("Your ticket has been created."),
        }
        errors = {
            "cannot_close": _("This ticket cannot be closed."),
            "cannot_reopen": _("This ticket can no longer be reopened. Please submit a new ticket."),
            "cannot_rate": _("This ticket cannot be rated."),
            "bad_rating": _("Please choose a rating."),
        }
        # pid/hash (signed partner links of Odoo's notifications) are given to the
        # chatter, which checks them; only well-formed values are passed on
        signed = {}
        hash_value = kw.get("hash")
        if ascii_id(kw.get("pid")) and isinstance(hash_value, str) and 0 < len(hash_value) <= TOKEN_MAX_LENGTH \
                and hash_value.isascii():
            signed = {"pid": kw["pid"], "hash": kw["hash"]}
        values = self._helpdesk_ticket_page_values(
            ticket_sudo, access_token,
            message=messages.get(kw.get("message")), error_message=errors.get(kw.get("error")),
            **signed,
        )
        return request.render("helpdesk_portal.portal_my_ticket", values)

    @http.route(["/my/tickets/<helpdesk_id:ticket_id>/close"], type="http", auth="public", methods=["POST"], website=True)
    @without_nul
    def portal_ticket_close(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._helpdesk_check_ticket(ticket_id, access_token)
        if not ticket_sudo:
            return self._helpdesk_denied(ticket_id, access_token)
        if not ticket_sudo._portal_can_close():
            return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, error="cannot_close"))
        partner = self._helpdesk_visitor_partner(ticket_sudo)
        ticket_sudo.action_close()
        ticket_sudo.message_post(
            body=request.env._("Closed by the customer from the portal."),
            author_id=partner.id or None,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, message="closed"))

    @http.route(["/my/tickets/<helpdesk_id:ticket_id>/reopen"], type="http", auth="public", methods=["POST"], website=True)
    @without_nul
    def portal_ticket_reopen(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._helpdesk_check_ticket(ticket_id, access_token)
        if not ticket_sudo:
            return self._helpdesk_denied(ticket_id, access_token)
        if not ticket_sudo._portal_can_reopen():
            return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, error="cannot_reopen"))
        # the customer writes on the closed ticket: like any customer message (a mail,
        # a portal reply), _on_customer_message reopens it within the reopen window
        partner = self._helpdesk_visitor_partner(ticket_sudo)
        ticket_sudo.message_post(
            body=request.env._("Reopened by the customer from the portal."),
            author_id=partner.id or None,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        if ticket_sudo.closed:
            return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, error="cannot_reopen"))
        return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, message="reopened"))

    @http.route(["/my/tickets/<helpdesk_id:ticket_id>/rate"], type="http", auth="public", methods=["POST"], website=True)
    @without_nul
    def portal_ticket_rate(self, ticket_id, access_token=None, rating=None, feedback=None, **kw):
        ticket_sudo = self._helpdesk_check_ticket(ticket_id, access_token)
        if not ticket_sudo:
            return self._helpdesk_denied(ticket_id, access_token)
        if not ticket_sudo._portal_can_rate():
            return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, error="cannot_rate"))
        if rating not in RATING_VALUES:
            return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, error="bad_rating"))
        partner = self._helpdesk_visitor_partner(ticket_sudo)
        token = ticket_sudo._rating_get_access_token(partner=partner)
        ticket_sudo.rating_apply(
            int(rating), token=token, feedback=(feedback or "").strip()[:DESCRIPTION_MAX_LENGTH],
            subtype_xmlid="helpdesk_ticket.mt_ticket_rating",
        )
        return request.redirect(self._helpdesk_ticket_url(ticket_sudo, access_token, message="rated"))

    # ------------------------------------------------------------------
    # /my/tickets/new (logged-in customers)
    # ------------------------------------------------------------------
    @http.route(["/my/tickets/new"], type="http", auth="user", methods=["GET", "POST"], website=True,
                readonly=readonly_on_get)
    @without_nul
    def portal_ticket_new(self, **post):
        values = self._prepare_portal_layout_values()
        values["page_name"] = "helpdesk_ticket_new"
        errors = {}
        if request.httprequest.method == "POST":
            vals = self._helpdesk_validate_ticket_form(post, errors)
            attachments = self._helpdesk_read_attachments(errors)
            if not errors:
                partner = request.env.user.partner_id
                vals.update({"partner_id": partner.id, "channel": "portal"})
                # portal users have no create right on tickets: the form was validated
                # above and the customer is the logged-in user
                ticket_sudo = self._helpdesk_create_from_form(vals, attachments, errors)
                if ticket_sudo:
                    return request.redirect(self._helpdesk_ticket_url(ticket_sudo, message="created"))
        values.update(self._helpdesk_form_values(post, errors))
        return request.render("helpdesk_portal.portal_ticket_new", values)

    # ------------------------------------------------------------------
    # Public form /helpdesk/submit
    # ------------------------------------------------------------------
    @http.route(["/helpdesk/submit"], type="http", auth="public", methods=["GET", "POST"], website=True, sitemap=True,
                readonly=readonly_on_get)
    @without_nul
    def helpdesk_public_submit(self, **post):
        _ = request.env._
        errors = {}
        if request.httprequest.method == "POST":
            if post.get(HONEYPOT_FIELD):
                # a bot filled the hidden field: pretend it worked, create nothing
                _logger.info("helpdesk_portal: public form honeypot triggered from %s", self._helpdesk_client_ip())
                return request.render("helpdesk_portal.public_ticket_thanks", {"ticket_number": False})
            name = (post.get("name") or "").strip()
            email = (post.get("email") or "").strip()
            if not name:
                errors["name"] = _("Please enter your name.")
            elif len(name) > NAME_MAX_LENGTH:
                errors["name"] = _("The name is limited to %(count)s characters.", count=NAME_MAX_LENGTH)
            normalized = email_normalize(email) if len(email) <= EMAIL_MAX_LENGTH else False
            if not normalized:
                errors["email"] = _("Please enter a valid email address.")
            vals = self._helpdesk_validate_ticket_form(post, errors)
            attachments = self._helpdesk_read_attachments(errors)
            if not errors:
                Attempt = request.env["helpdesk.portal.attempt"].sudo()
                checks = [("submit_ip", self._helpdesk_client_ip()), ("submit_email", normalized)]
                if Attempt._is_blocked(checks):
                    errors["form"] = _(
                        "Too many requests were sent from this address or for this email. "
                        "Please try again later."
                    )
                else:
                    partner = request.env["res.partner"].sudo()._helpdesk_find_or_create_partner(email, name)
                    vals.update({
                        "partner_id": partner.id,
                        "partner_name": name,
                        "partner_email": email,
                        "channel": "web",
                    })
                    ticket_sudo = self._helpdesk_create_from_form(vals, attachments, errors)
                    if ticket_sudo:
                        Attempt._record_attempts(checks)
                        return request.render(
                            "helpdesk_portal.public_ticket_thanks",
                            {"ticket_number": ticket_sudo.number, "email": normalized},
                        )
        values = self._helpdesk_form_values(post, errors, page_name="helpdesk_submit")
        return request.render("helpdesk_portal.public_ticket_submit", values)

    # ------------------------------------------------------------------
    # Guest tracking /helpdesk/track
    # ------------------------------------------------------------------
    @http.route(["/helpdesk/track"], type="http", auth="public", methods=["GET", "POST"], website=True, sitemap=True,
                readonly=readonly_on_get)
    @without_nul
    def helpdesk_track(self, number=None, email=None, **kw):
        """Guest status page. Number + email never open the ticket here: when they match,
        the status and a fresh link to the conversation are mailed to the ticket's own
        address. The answer is the same page whether they match or not; every lookup
        counts against the limits the same way; the mail is queued, never sent in this
        request, so both answers take the same kind of time."""
        _ = request.env._
        error = None
        sent = False
        number = number.strip()[:NUMBER_MAX_LENGTH + 1] if isinstance(number, str) else ""
        email = email.strip()[:EMAIL_MAX_LENGTH + 1] if isinstance(email, str) else ""
        if request.httprequest.method == "POST":
            Attempt = request.env["helpdesk.portal.attempt"].sudo()
            checks = [("track_ip", self._helpdesk_client_ip()), ("track_number", number.upper())]
            if not number or not email:
                error = _("Please enter your ticket number and your email address.")
            elif len(number) > NUMBER_MAX_LENGTH or len(email) > EMAIL_MAX_LENGTH:
                error = _("Please check the ticket number and the email address.")
            elif Attempt._is_blocked(checks):
                error = _("Too many attempts. Please wait a few minutes and try again.")
            else:
                Attempt._record_attempts(checks)
                ticket_sudo = request.env["helpdesk.ticket"]._portal_find_for_tracking(number, email)
                if ticket_sudo:
                    self._helpdesk_mail_link(ticket_sudo, email)
                sent = True
        values = {
            "page_name": "helpdesk_track",
            "number": number[:NUMBER_MAX_LENGTH],
            "email": email[:EMAIL_MAX_LENGTH],
            "error": error,
            "sent": sent,
            "validity_days": request.env["helpdesk.ticket"]._portal_link_validity_days(),
        }
        return request.render("helpdesk_portal.public_ticket_track", values)

    def _helpdesk_mail_link(self, ticket_sudo, email):
        """Mail the ticket's customer a link, at most ``link_mail_limit`` times per window
        per ticket (a visitor asking again and again cannot flood the mailbox; they get
        the same page either way)."""
        Attempt = request.env["helpdesk.portal.attempt"].sudo()
        checks = [("link_mail", str(ticket_sudo.id))]
        if Attempt._is_blocked(checks):
            return
        if ticket_sudo._portal_send_link(email_normalize(email)):
            Attempt._record_attempts(checks)
