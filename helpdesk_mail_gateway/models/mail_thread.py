import codecs
import email
import email.errors
import email.policy
import logging
from xmlrpc import client as xmlrpclib

from odoo import api, models, tools
from odoo.tools.mail import decode_message_header

from ..mail_tools import auto_submitted_reason, fallback_message_id, normalize_charset_labels, one_line

_logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # bytes

# MIME defects after which part of the content cannot be found any more
_FATAL_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.InvalidBase64LengthDefect,
)


class HelpdeskMailRejected(ValueError):
    """An incoming mail that cannot be turned into a ticket without losing content."""


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_create_bounce_email(self, email_from, body_html, message, **mail_values):
        """Odoo's bounce to the sender of a refused mail (loop detection, a write to
        the catchall), which it creates and sends at once: none for a sender without
        a valid address (it could never be delivered and would only lie in the queue
        as failed), and its subject on one line (a subject with a vertical tab or
        form feed made Odoo's mail unsendable)."""
        bounce_to = decode_message_header(message, "Return-Path") or email_from
        if not tools.email_normalize(bounce_to or "", strict=False):
            _logger.info("No bounce for the mail %s: the sender %r has no valid address",
                         message.get("Message-Id"), bounce_to)
            return
        mail_values.setdefault("subject", "Re: %s" % one_line(message.get("subject")))
        return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)

    # ------------------------------------------------------------------
    # Entry point: atomic, deduplicated, size-checked processing
    # ------------------------------------------------------------------
    @api.model
    def message_process(self, model, message, custom_values=None, save_original=False,
                        strip_attachments=False, thread_id=None):
        """Process one incoming mail all or nothing.

        * The mail is processed inside a savepoint: when anything fails, nothing of it is
          kept (no ticket without its message) and the error is logged with its reason
          before being raised again, so that the caller (incoming mail server, mailgate
          script) keeps the mail for a later attempt.
        * Two workers receiving the same Message-Id at once are serialised by the unique
          index of helpdesk.mail.receipt: the second one ignores the duplicate.
        * Charset labels unknown to Python (windows-874...) are mapped first.
        """
        if isinstance(message, xmlrpclib.Binary):
            message = bytes(message.data)
        if isinstance(message, str):
            message = message.encode("utf-8")
        message_id = "?"
        email_from = "?"
        try:
            max_size = int(
                self.env["ir.config_parameter"].sudo().get_param(
                    "helpdesk_mail_gateway.max_message_size", DEFAULT_MAX_SIZE
                ) or 0
            )
            if max_size and len(message) > max_size:
                headers = email.message_from_bytes(message.split(b"\n\n", 1)[0], policy=email.policy.compat32)
                message_id = headers.get("Message-Id", "?")
                email_from = headers.get("From", "?")
                raise HelpdeskMailRejected(
                    "message too large (%d bytes, limit %d bytes set by helpdesk_mail_gateway.max_message_size)"
                    % (len(message), max_size)
                )
            message = normalize_charset_labels(message)
            parsed = email.message_from_bytes(message, policy=email.policy.SMTP)
            email_from = str(parsed.get("From", "") or "?")
            message_id = str(parsed.get("Message-Id", "") or "").strip() or fallback_message_id(parsed)
            with self.env.cr.savepoint():
                if not self.env["helpdesk.mail.receipt"]._claim(message_id):
                    _logger.info(
                        "Ignored mail %s from %s: the same Message-Id is being processed by another worker",
                        message_id, email_from,
                    )
                    return False
                return super().message_process(
                    model, message, custom_values=custom_values, save_original=save_original,
                    strip_attachments=strip_attachments, thread_id=thread_id,
                )
        except Exception as error:
            _logger.warning(
                "Incoming mail %s from %s was not processed and must be kept for a new attempt: %s",
                message_id, email_from, error,
            )
            raise

    # ------------------------------------------------------------------
    # Parsing
    # ------------------------------------------------------------------
    @api.model
    def message_parse(self, message, save_original=False):
        self._helpdesk_check_mime(message)
        if not message.get("From"):
            # fall back on the other sender headers rather than losing the sender
            for header in ("Sender", "Reply-To", "Return-Path"):
                value = str(message.get(header, "") or "").strip().strip("<>")
                if value and "@" in value:
                    message["From"] = value
                    break
            else:
                raise HelpdeskMailRejected("no sender address (no From, Sender, Reply-To nor Return-Path)")
        msg_dict = super().message_parse(message, save_original=save_original)
        if not message.get("Message-Id"):
            msg_dict["message_id"] = fallback_message_id(message)
        return msg_dict

    @api.model
    def _helpdesk_check_mime(self, message):
        """Refuse mails whose content cannot be fully recovered: raise HelpdeskMailRejected."""
        for part in message.walk():
            fatal = [defect for defect in part.defects if isinstance(defect, _FATAL_DEFECTS)]
            if fatal:
                raise HelpdeskMailRejected("malformed MIME: %s" % ", ".join(type(d).__name__ for d in fatal))
            if part.is_multipart():
                continue
            if part.get_content_maintype() == "text" and part.get_param("charset"):
                charset = str(part.get_param("charset")).strip().lower()
                try:
                    codecs.lookup(charset)
                except LookupError:
                    payload = part.get_payload(decode=True) or b""
                    try:
                        payload.decode("utf-8")
                    except UnicodeDecodeError:
                        raise HelpdeskMailRejected(
                            "undecodable part %s: unknown charset %r" % (part.get_content_type(), charset)
                        ) from None
                    part.set_param("charset", "utf-8")
            cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
            if cte == "base64":
                part.get_payload(decode=True)  # records decoding defects on the part
                if any(isinstance(d, email.errors.InvalidBase64LengthDefect) for d in part.defects):
                    raise HelpdeskMailRejected(
                        "undecodable part %s: invalid base64 content" % part.get_content_type()
                    )

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------
    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        routes = super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )
        if routes and any(route[0] == "helpdesk.ticket" for route in routes):
            routes = self.env["helpdesk.ticket"]._helpdesk_rewrite_routes(message, message_dict, routes)
        return routes

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        if routes and any(route[0] == "helpdesk.ticket" for route in routes):
            reason = auto_submitted_reason(message)
            if reason:
                _logger.info(
                    "Incoming mail %s from %s is automatic (%s): no acknowledgement, no reopening",
                    message_dict.get("message_id"), message_dict.get("email_from"), reason,
                )
                if any(route[0] == "helpdesk.ticket" and route[1] for route in routes):
                    # an automatic answer on a ticket is kept as an internal note only
                    message_dict["is_internal"] = True
            # the fetch loop neither renders nor sends the notifications to agents and
            # followers: Odoo's scheduled-notification job does, just after the commit
            self = self.with_context(
                helpdesk_mail_auto_reason=reason or False,
                helpdesk_notify_later=True,
                mail_notify_force_send=False,
            )
        return super()._message_route_process(message, message_dict, routes)
