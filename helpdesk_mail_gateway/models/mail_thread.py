import codecs
import email
import email.errors
import email.parser
import email.policy
import logging
from xmlrpc import client as xmlrpclib

from odoo import api, models, tools
from odoo.tools.mail import decode_message_header, email_split, email_split_and_format, unfold_references

from ..mail_tools import (
    AUTO_REASON_KEY, auto_submitted_reason, dmarc_failed_domain, fallback_message_id, find_ticket_tokens,
    is_transient_database_error, normalize_charset_labels, one_line,
)

_logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # bytes
HELPDESK_MODEL = "helpdesk.ticket"
#: headers Odoo reads the recipients from when it routes a mail (message_parse)
RECIPIENT_HEADERS = ("Delivered-To", "To", "Cc", "Resent-To", "Resent-Cc")

class HelpdeskMailRejected(ValueError):
    """An incoming mail that cannot be turned into a ticket without losing content."""


class _DuplicateDelivery(Exception):
    """The Message-Id of a mail was claimed by a concurrent transaction."""


def _headers_of(raw):
    """The headers of the mail ``raw`` (bytes), parsed without its body."""
    return email.parser.BytesHeaderParser(policy=email.policy.SMTP).parsebytes(raw)


def _raw_bytes(message):
    """The mail as bytes, as the mail servers and the mailgate script hand it over."""
    if isinstance(message, xmlrpclib.Binary):
        return bytes(message.data)
    if isinstance(message, str):
        return message.encode("utf-8")
    return message


class MailThread(models.AbstractModel):
    """The helpdesk's checks of incoming mail (size limit, MIME, sender, Message-Id
    receipts, all-or-nothing processing) apply to the mails Odoo routes to helpdesk
    tickets only: every other mail (a CRM alias, a reply to a lead, the catchall)
    goes through Odoo's own ``message_process`` untouched."""

    _inherit = "mail.thread"

    # ------------------------------------------------------------------
    # Which mails are the helpdesk's
    # ------------------------------------------------------------------
    @api.model
    def _helpdesk_receives(self, headers, model=None):
        """Whether Odoo's routing sends the mail whose headers are ``headers`` (an
        email.message.Message) to helpdesk tickets, decided from its headers only,
        with the precedence of ``message_route``:

        * addressed to an alias (full address, or local part for aliases accepting
          any domain): it is the helpdesk's when one of them creates tickets (a
          department address), also when it answers another document (Odoo treats
          it as a forward to the alias);
        * otherwise a reply (References / In-Reply-To) goes to the document of the
          message it answers;
        * otherwise the fallback ``model`` of the caller (a mail server or the
          mailgate script set to helpdesk tickets)."""
        addresses = [
            address.lower()
            for header in RECIPIENT_HEADERS
            for address in email_split(decode_message_header(headers, header, separator=","))
        ]
        if addresses:
            by_full_name, by_local_part = self.env["mail.alias"]._helpdesk_alias_models()
            models_addressed = {by_full_name[address] for address in addresses if address in by_full_name}
            for address in addresses:
                models_addressed.update(by_local_part.get(address.split("@", 1)[0], ()))
            if models_addressed:
                return HELPDESK_MODEL in models_addressed
        references = decode_message_header(headers, "References") or decode_message_header(headers, "In-Reply-To")
        references = [ref.strip() for ref in unfold_references(references) if "reply_to" not in ref][-32:]
        if references:
            answered = self.env["mail.message"].sudo().search(
                [("message_id", "in", references), ("model", "!=", False), ("res_id", "!=", False)],
                order="id desc", limit=1,
            )
            if answered:
                return answered.model == HELPDESK_MODEL
        return model == HELPDESK_MODEL

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------
    @api.model
    def message_process(self, model, message, custom_values=None, save_original=False,
                        strip_attachments=False, thread_id=None):
        raw = _raw_bytes(message)
        try:
            helpdesk = isinstance(raw, bytes) and self._helpdesk_receives(_headers_of(raw), model)
        except Exception:  # noqa: BLE001 - headers too broken to route on: the caller's model decides
            helpdesk = model == HELPDESK_MODEL
        if not helpdesk:
            return super().message_process(
                model, message, custom_values=custom_values, save_original=save_original,
                strip_attachments=strip_attachments, thread_id=thread_id,
            )
        return self._helpdesk_message_process(
            model, raw, custom_values=custom_values, save_original=save_original,
            strip_attachments=strip_attachments, thread_id=thread_id,
        )

    @api.model
    def _helpdesk_message_process(self, model, raw, custom_values=None, save_original=False,
                                  strip_attachments=False, thread_id=None, forced=False):
        """Process one mail for the helpdesk: it ends as a ticket, a message of a
        ticket or a held mail (``helpdesk.mail.held``), never half of one.

        * Charset labels unknown to Python (windows-874...) are mapped first; a
          missing ``From`` falls back on Sender / Reply-To / Return-Path; a missing
          Message-Id is derived from the content (a second delivery is a duplicate).
        * Recoverable MIME defects (missing or unclosed boundary, stray bytes,
          unknown charset) are read best-effort, the original mail attached to the
          message and a note on the ticket.
        * Held, with the reason: over ``helpdesk_mail_gateway.max_message_size``
          bytes, content that cannot be recovered (corrupted base64), no sender
          address at all, a DMARC failure of the ``From`` domain reported by our
          receiving server, Odoo's loop detection, or any error while making the
          ticket. The mail server then marks the mail processed: nothing is retried
          forever out of sight; the managers decide.
        * The mail is processed inside a savepoint: when anything fails, nothing of
          it is kept but the held mail. A transient database error (a conflict, a
          lost connection) is raised instead: the same delivery succeeds when the
          mail server or the mailgate script tries it again.
        * Two workers receiving the same Message-Id at once are serialised by the
          unique index of helpdesk.mail.receipt: the second one ignores it.
        * ``forced``: a manager creates the ticket of a held mail; the checks that
          held it are skipped and errors are raised to them."""
        message_id = email_from = "?"
        original = raw
        try:
            max_size = int(
                self.env["ir.config_parameter"].sudo().get_param(
                    "helpdesk_mail_gateway.max_message_size", DEFAULT_MAX_SIZE
                ) or 0
            )
            if max_size and len(raw) > max_size and not forced:
                headers = _headers_of(raw)
                message_id = str(headers.get("Message-Id", "") or "?")
                email_from = str(headers.get("From", "") or "?")
                raise HelpdeskMailRejected(
                    "message too large (%d bytes, limit %d bytes set by helpdesk_mail_gateway.max_message_size)"
                    % (len(raw), max_size)
                )
            raw = normalize_charset_labels(raw)
            parsed = email.message_from_bytes(raw, policy=email.policy.SMTP)
            email_from = str(parsed.get("From", "") or "?")
            message_id = str(parsed.get("Message-Id", "") or "").strip() or fallback_message_id(parsed)
            changed, defects = self._helpdesk_prepare_message(parsed, message_id, forced=forced)
            if changed:
                try:
                    raw = parsed.as_bytes()
                except Exception as error:  # noqa: BLE001 - Odoo reads the mail as it came
                    _logger.info("Mail %s could not be rewritten (%s): read as received", message_id, error)
            try:
                with self.env.cr.savepoint():
                    if not self.env["helpdesk.mail.receipt"]._claim(message_id):
                        # the savepoint is aborted: rolled back on the way out
                        raise _DuplicateDelivery()
                    result = super().message_process(
                        model, raw, custom_values=custom_values, save_original=save_original,
                        strip_attachments=strip_attachments, thread_id=thread_id,
                    )
                    if (defects or forced) and isinstance(result, int) and result:
                        self._helpdesk_keep_original(
                            self.env[HELPDESK_MODEL].browse(result).exists(), original, message_id, defects,
                        )
                    return result
            except _DuplicateDelivery:
                _logger.info(
                    "Ignored mail %s from %s: the same Message-Id is being processed by another worker",
                    message_id, email_from,
                )
                return False
        except Exception as error:
            if forced or is_transient_database_error(error):
                _logger.warning(
                    "Incoming mail %s from %s was not processed and must be kept for a new attempt: %s",
                    message_id, email_from, error,
                )
                raise
            self.env["helpdesk.mail.held"].sudo()._hold(
                original, str(error) or type(error).__name__, message_id=message_id if message_id != "?" else None,
            )
            return False

    @api.model
    def _helpdesk_keep_original(self, ticket, raw, message_id, defects):
        """Keep the mail as received (``raw``) on ``ticket`` for the agents, in an
        internal note naming its defects: not on the customer's message, so that no
        notification nor the portal ever carries the sender's raw content (an
        attached .eml is rendered by mail clients, scripts and all)."""
        if not ticket:
            return
        attachment = self.env["ir.attachment"].sudo().create({
            "name": "original-mail.eml",
            "raw": raw,
            "mimetype": "message/rfc822",
            "res_model": HELPDESK_MODEL,
            "res_id": ticket.id,
        })
        if defects:
            body = self.env._(
                "The mail %(message_id)s was malformed (%(defects)s): it was read as well as possible; "
                "the original is attached to this note.",
                message_id=message_id, defects=", ".join(defects),
            )
        else:
            body = self.env._("The original of the mail %(message_id)s is attached to this note.",
                              message_id=message_id)
        ticket._message_log(body=body, attachment_ids=attachment.ids)

    @api.model
    def _helpdesk_prepare_message(self, message, message_id, forced=False):
        """Check ``message`` (an EmailMessage) and complete what Odoo's parser needs.
        Raise HelpdeskMailRejected for a mail to hold; return (whether the message
        was changed, the recoverable defects read best-effort)."""
        changed, defects = self._helpdesk_check_mime(message, forced=forced)
        if not message.get("From"):
            # fall back on the other sender headers rather than losing the sender
            for header in ("Sender", "Reply-To", "Return-Path"):
                value = str(message.get(header, "") or "").strip().strip("<>")
                if value and "@" in value:
                    message["From"] = value
                    changed = True
                    break
            else:
                if not forced:
                    raise HelpdeskMailRejected("no sender address (no From, Sender, Reply-To nor Return-Path)")
        if not forced:
            sender = tools.email_normalize(str(message.get("From", "") or ""), strict=False) or ""
            failed = dmarc_failed_domain(str(message.get("Authentication-Results", "") or ""),
                                         sender.rpartition("@")[2])
            if failed:
                raise HelpdeskMailRejected(
                    "DMARC check failed for the sender's domain %s (Authentication-Results of our server)" % failed
                )
        if not message.get("Message-Id"):
            message["Message-Id"] = message_id
            changed = True
        return changed, defects

    @api.model
    def _helpdesk_check_mime(self, message, forced=False):
        """MIME defects of ``message``: a part whose content is lost (corrupted
        base64) raises HelpdeskMailRejected (unless ``forced``); the recoverable
        ones are returned by name, to be read best-effort. A text part labelled
        with a charset Python does not know is relabelled UTF-8 (undecodable
        bytes replaced). Returns (whether a part was relabelled, defect names)."""
        changed = False
        defects = []
        for part in message.walk():
            for defect in part.defects:
                name = type(defect).__name__
                if name not in defects:
                    defects.append(name)
            if part.is_multipart():
                continue
            if part.get_content_maintype() == "text" and part.get_param("charset"):
                charset = str(part.get_param("charset")).strip().lower()
                try:
                    codecs.lookup(charset)
                except LookupError:
                    defects.append("unknown charset %r" % charset)
                    part.set_param("charset", "utf-8")
                    changed = True
            cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
            if cte == "base64":
                part.get_payload(decode=True)  # records decoding defects on the part
                if any(isinstance(d, email.errors.InvalidBase64LengthDefect) for d in part.defects) and not forced:
                    raise HelpdeskMailRejected(
                        "undecodable part %s: corrupted base64 content" % part.get_content_type()
                    )
        return changed, defects

    @api.model
    def _helpdesk_post_raw_on_ticket(self, raw, ticket):
        """Post the mail ``raw`` on ``ticket`` as the gateway would post a reply
        (a held mail a manager attaches), read best-effort, original attached."""
        message = email.message_from_bytes(normalize_charset_labels(raw), policy=email.policy.SMTP)
        self._helpdesk_check_mime(message, forced=True)
        msg_dict = self.message_parse(message, save_original=True)
        msg_dict.pop("parent_id", None)
        route = (HELPDESK_MODEL, ticket.id, {}, self.env.uid, self.env["mail.alias"])
        return self._message_route_process(message, msg_dict, [route])

    @api.model
    def _detect_loop_sender(self, message, message_dict, routes):
        """Odoo's loop detection (too many mails from one sender in a short time):
        a helpdesk mail it stops is held for the managers instead of dropped."""
        looping = super()._detect_loop_sender(message, message_dict, routes)
        if looping and any(route[0] == HELPDESK_MODEL for route in routes or ()):
            try:
                raw = message.as_bytes()
            except Exception:  # noqa: BLE001
                raw = str(message).encode("utf-8", "replace")
            self.env["helpdesk.mail.held"].sudo()._hold(
                raw, "loop detection: too many mails from %s in a short time" % message_dict.get("email_from"),
                message_id=message_dict.get("message_id"),
            )
        return looping

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------
    @api.model
    def _routing_create_bounce_email(self, email_from, body_html, message, **mail_values):
        """Odoo's bounce to the sender of a refused helpdesk mail (loop detection, a
        failed ticket creation), which it creates and sends at once: none for a
        sender without a valid address (it could never be delivered and would lie
        in the queue as failed), and its subject on one line (a subject with a
        vertical tab or form feed made the bounce unsendable). Bounces of other
        mails are Odoo's own."""
        if not self._helpdesk_receives(message):
            return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)
        bounce_to = decode_message_header(message, "Return-Path") or email_from
        if not tools.email_normalize(bounce_to or "", strict=False):
            _logger.info("No bounce for the mail %s: the sender %r has no valid address",
                         message.get("Message-Id"), bounce_to)
            return
        mail_values.setdefault("subject", "Re: %s" % one_line(message.get("subject")))
        return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        routes = super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )
        if routes and any(route[0] == HELPDESK_MODEL for route in routes):
            routes = self._helpdesk_rewrite_routes(message, message_dict, routes)
        return routes

    @api.model
    def _helpdesk_rewrite_routes(self, message, message_dict, routes):
        """Adjust the routes of a mail that targets tickets (from ``message_route``).

        * one mail gives at most one ticket, even when sent to several department addresses;
        * a new mail quoting ``[HD-xxxxx]`` in its subject joins that ticket when its sender
          is the ticket's customer or a follower (never for a stranger);
        * a mail for a merged ticket goes to the ticket it was merged into;
        * a customer reply to a ticket closed for longer than its department's reopen window
          opens a new ticket linked to the old one.
        """
        Ticket = self.env[HELPDESK_MODEL]
        ticket_routes = [route for route in routes if route[0] == HELPDESK_MODEL]
        # the department addressed first (To before Cc, in header order) receives the ticket
        header_addresses = ",".join(
            [str(message.get(header, "") or "") for header in ("To", "Cc")] + [message_dict.get("recipients") or ""]
        )
        raw_order = [tools.email_normalize(address) for address in email_split_and_format(header_addresses)]

        def position(route):
            alias = route[4]
            full_name = alias.alias_full_name if alias else False
            return raw_order.index(full_name) if full_name in raw_order else len(raw_order)

        ticket_routes.sort(key=position)
        chosen = next((route for route in ticket_routes if route[1]), ticket_routes[0])
        for route in ticket_routes:
            if route is not chosen:
                _logger.info(
                    "Mail %s: route %s dropped, one mail makes one ticket (kept %s)",
                    message_dict.get("message_id"), route[:2], chosen[:2],
                )
        model, thread_id, custom_values, user_id, alias = chosen
        email_from = message_dict.get("email_from")
        if not thread_id:
            ticket = self._helpdesk_ticket_from_subject(message_dict, alias)
            if ticket:
                thread_id = ticket.id
                message_dict.pop("parent_id", None)
        if thread_id:
            ticket = answered = Ticket.sudo().with_context(active_test=False).browse(thread_id)
            seen = set()
            while ticket.merged_into_id and ticket.id not in seen:
                seen.add(ticket.id)
                ticket = ticket.merged_into_id
            thread_id = ticket.id
            if ticket != answered and answered.commercial_partner_id != ticket.commercial_partner_id:
                # merged across customers: the other customer's answer must not reach
                # the kept ticket's customer (portal, notifications): agents only
                _logger.info("Mail %s answers %s, merged into %s of another customer: kept as an internal note",
                             message_dict.get("message_id"), answered.number, ticket.number)
                message_dict["is_internal"] = True
            if (
                ticket.closed
                and not ticket._helpdesk_in_reopen_window()
                and not auto_submitted_reason(message)
                and not Ticket._helpdesk_is_internal_email(email_from)
            ):
                _logger.info(
                    "Mail %s from %s answers %s closed since %s (reopen window passed): new follow-up ticket",
                    message_dict.get("message_id"), email_from, ticket.number, ticket.date_closed,
                )
                custom_values = dict(custom_values or {})
                custom_values.update(
                    department_id=ticket.department_id.id,
                    company_id=ticket.company_id.id,
                    parent_ticket_id=ticket.id,
                )
                if ticket.department_id.alias_id and not alias:
                    alias = ticket.department_id.alias_id
                thread_id = 0
                message_dict.pop("parent_id", None)
        if not thread_id:
            reason = auto_submitted_reason(message)
            if reason:
                custom_values = dict(custom_values or {}, **{AUTO_REASON_KEY: reason})
        new_route = (model, thread_id, custom_values, user_id, alias)
        return [route for route in routes if route[0] != HELPDESK_MODEL] + [new_route]

    @api.model
    def _helpdesk_ticket_from_subject(self, message_dict, alias):
        """Ticket quoted as ``[HD-xxxxx]`` in the subject whose customer or follower sent the
        mail, or an empty recordset."""
        Ticket = self.env[HELPDESK_MODEL]
        tokens = find_ticket_tokens(message_dict.get("subject"))
        if not tokens:
            return Ticket
        domain = [("number", "in", tokens)]
        if alias and alias.alias_parent_model_id.model == "helpdesk.department" and alias.alias_parent_thread_id:
            department = self.env["helpdesk.department"].sudo().browse(alias.alias_parent_thread_id)
            domain.append(("company_id", "=", department.company_id.id))
        tickets = Ticket.sudo().with_context(active_test=False).search(domain)
        sender = tools.email_normalize(message_dict.get("email_from") or "")
        for token in tokens:
            for ticket in tickets.filtered(lambda t, token=token: t.number == token):
                if sender and ticket._helpdesk_is_correspondent(sender):
                    _logger.info(
                        "Mail %s from %s attached to %s by the number in its subject",
                        message_dict.get("message_id"), sender, ticket.number,
                    )
                    return ticket
                _logger.info(
                    "Mail %s: %s quotes %s but is neither its customer nor a follower: new ticket",
                    message_dict.get("message_id"), sender or "an unknown sender", ticket.number,
                )
        return Ticket

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        if routes and any(route[0] == HELPDESK_MODEL and route[1] for route in routes):
            reason = auto_submitted_reason(message)
            if reason:
                _logger.info(
                    "Incoming mail %s from %s is automatic (%s): kept as an internal note",
                    message_dict.get("message_id"), message_dict.get("email_from"), reason,
                )
                # an automatic answer on a ticket is kept as an internal note only:
                # it reopens nothing and is not a customer message
                message_dict["is_internal"] = True
        return super()._message_route_process(message, message_dict, routes)
