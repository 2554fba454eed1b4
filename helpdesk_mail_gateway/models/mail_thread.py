import codecs
import email
import email.errors
import email.parser
import email.policy
import logging
from xmlrpc import client as xmlrpclib

from odoo import api, models, tools
from odoo.tools.mail import decode_message_header, email_split, unfold_references

from ..mail_tools import (
    auto_submitted_reason, dmarc_failed_domain, fallback_message_id, is_transient_database_error,
    normalize_charset_labels, one_line,
)

_logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # bytes
HELPDESK_MODEL = "helpdesk.ticket"
#: headers Odoo reads the recipients from when it routes a mail (message_parse)
RECIPIENT_HEADERS = ("Delivered-To", "To", "Cc", "Resent-To", "Resent-Cc")

class HelpdeskMailRejected(ValueError):
    """An incoming mail that cannot be turned into a ticket without losing content."""


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
            local_parts = [address.split("@", 1)[0] for address in addresses]
            aliases = self.env["mail.alias"].sudo().search([
                "|",
                ("alias_full_name", "in", addresses),
                "&", ("alias_name", "in", local_parts), ("alias_incoming_local", "=", True),
            ])
            if aliases:
                return HELPDESK_MODEL in aliases.alias_model_id.mapped("model")
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
            with self.env.cr.savepoint():
                if not self.env["helpdesk.mail.receipt"]._claim(message_id):
                    _logger.info(
                        "Ignored mail %s from %s: the same Message-Id is being processed by another worker",
                        message_id, email_from,
                    )
                    return False
                result = super().message_process(
                    model, raw, custom_values=custom_values,
                    save_original=save_original or bool(defects) or forced,
                    strip_attachments=strip_attachments, thread_id=thread_id,
                )
                if defects and isinstance(result, int) and result:
                    self.env[HELPDESK_MODEL].browse(result).exists()._message_log(body=self.env._(
                        "The mail %(message_id)s was malformed (%(defects)s): it was read as well as "
                        "possible and the original is attached to its message.",
                        message_id=message_id, defects=", ".join(defects),
                    ))
                return result
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
            routes = self.env[HELPDESK_MODEL]._helpdesk_rewrite_routes(message, message_dict, routes)
        return routes

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
