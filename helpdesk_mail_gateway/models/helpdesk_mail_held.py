import base64
import email
import email.parser
import email.policy
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools.mail import decode_message_header

_logger = logging.getLogger(__name__)

#: days a held mail is kept (whatever its state), system parameter
RETENTION_PARAM = "helpdesk_mail_gateway.held_retention_days"
DEFAULT_RETENTION_DAYS = 90


def _header(headers, name, limit=1000):
    """A header of a possibly broken mail as one line of text, '' when unreadable."""
    try:
        value = decode_message_header(headers, name, separator=",") or ""
    except Exception:  # noqa: BLE001 - a header we cannot decode is shown empty
        value = ""
    return " ".join(value.split())[:limit]


class HelpdeskMailHeld(models.Model):
    """A mail for the helpdesk that could not become a ticket or a message.

    The gateway stores it here, with its reason and the raw mail, instead of
    refusing it: the mail server marks it processed, nothing is retried forever
    out of sight, and a manager decides (create the ticket anyway, attach it to a
    ticket, reply with a bounce, discard)."""

    _name = "helpdesk.mail.held"
    _description = "Held Helpdesk Mail"
    _order = "date desc, id desc"
    _rec_name = "subject"

    date = fields.Datetime("Received", required=True, readonly=True, default=fields.Datetime.now, index=True)
    email_from = fields.Char("From", readonly=True)
    email_to = fields.Char("To", readonly=True)
    subject = fields.Char(readonly=True)
    message_id = fields.Char("Message-Id", readonly=True, index="btree_not_null")
    reason = fields.Text(required=True, readonly=True)
    state = fields.Selection(
        [
            ("held", "Held"),
            ("ticket", "Ticket Created"),
            ("attached", "Attached to a Ticket"),
            ("discarded", "Discarded"),
            ("bounced", "Bounced"),
        ],
        default="held", required=True, readonly=True, index=True,
    )
    delivery_count = fields.Integer(
        "Deliveries", default=1, readonly=True,
        help="How many times this mail (same Message-Id) reached the helpdesk and was held.",
    )
    raw_eml = fields.Binary("Original Mail", attachment=True, readonly=True)
    raw_eml_name = fields.Char(compute="_compute_raw_eml_name")
    department_id = fields.Many2one("helpdesk.department", readonly=True, index="btree_not_null",
                                    help="Department whose address received the mail, when known.")
    company_id = fields.Many2one("res.company", readonly=True, default=lambda self: self.env.company)
    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True, help="Ticket the mail became or joined.")

    @api.depends("message_id")
    def _compute_raw_eml_name(self):
        for held in self:
            held.raw_eml_name = f"held-mail-{held.id or 'new'}.eml"

    # ------------------------------------------------------------------
    # Holding (called by the gateway, as superuser)
    # ------------------------------------------------------------------
    @api.model
    def _hold(self, raw, reason, message_id=None):
        """Store the mail ``raw`` (bytes) with its ``reason``; the same Message-Id
        delivered again while held counts one more delivery instead of a new
        record. Returns the held mail."""
        try:
            headers = email.parser.BytesHeaderParser(policy=email.policy.SMTP).parsebytes(raw)
        except Exception:  # noqa: BLE001 - not even headers: keep the bytes
            headers = email.message.EmailMessage()
        message_id = (message_id or _header(headers, "Message-Id"))[:512] or False
        if message_id:
            previous = self.search([("message_id", "=", message_id), ("state", "=", "held")], limit=1)
            if previous:
                previous.write({"delivery_count": previous.delivery_count + 1, "reason": reason})
                _logger.info("Mail %s held again (%s)", message_id, reason)
                return previous
        email_to = _header(headers, "To") or _header(headers, "Delivered-To")
        department = self._department_of(headers)
        held = self.create({
            "email_from": _header(headers, "From") or _header(headers, "Sender") or _header(headers, "Return-Path"),
            "email_to": email_to,
            "subject": _header(headers, "Subject", limit=500),
            "message_id": message_id,
            "reason": reason,
            "raw_eml": base64.b64encode(raw),
            "department_id": department.id,
            "company_id": department.company_id.id or self.env.company.id,
        })
        _logger.warning("Mail %s from %s held for the managers: %s", message_id, held.email_from, reason)
        return held

    @api.model
    def _department_of(self, headers):
        """The department whose address is among the recipients, or nothing."""
        addresses = set()
        for name in ("Delivered-To", "To", "Cc"):
            addresses.update(tools.email_normalize_all(_header(headers, name)))
        if not addresses:
            return self.env["helpdesk.department"]
        alias = self.env["mail.alias"].search([
            ("alias_full_name", "in", list(addresses)),
            ("alias_parent_model_id.model", "=", "helpdesk.department"),
        ], limit=1)
        return self.env["helpdesk.department"].browse(alias.alias_parent_thread_id).exists()

    @api.autovacuum
    def _gc_held_mail(self):
        """Held mail is kept for the retention period (system parameter
        ``helpdesk_mail_gateway.held_retention_days``, default 90), then removed."""
        days = int(self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM, DEFAULT_RETENTION_DAYS) or 0)
        if days > 0:
            self.sudo().search([("date", "<", fields.Datetime.now() - timedelta(days=days))]).unlink()

    # ------------------------------------------------------------------
    # Managers' actions
    # ------------------------------------------------------------------
    def _raw(self):
        self.ensure_one()
        if not self.raw_eml:
            raise UserError(self.env._("The original mail of %s is no longer stored.", self.display_name))
        return base64.b64decode(self.raw_eml)

    def _check_held(self):
        for held in self:
            if held.state != "held":
                raise UserError(self.env._("This mail was already handled (%s).", held.state))

    def action_create_ticket(self):
        """Process the mail again as a new ticket, without the checks that held it
        (the manager vouches for it): read best-effort, original attached."""
        self._check_held()
        Thread = self.env["mail.thread"].sudo()
        for held in self:
            try:
                with self.env.cr.savepoint():
                    result = Thread._helpdesk_message_process("helpdesk.ticket", held._raw(), forced=True)
            except Exception as error:  # noqa: BLE001 - shown to the manager, nothing changes
                raise UserError(self.env._("The mail still cannot become a ticket: %s", error)) from error
            ticket = self.env["helpdesk.ticket"].browse(result if isinstance(result, int) else False).exists()
            if not ticket:
                raise UserError(self.env._("The mail is already in the helpdesk (same Message-Id)."))
            held.write({"state": "ticket", "ticket_id": ticket.id})
            ticket._message_log(body=Markup(self.env._(
                "Created from a held mail by %(user)s (held because: %(reason)s).",
                user=self.env.user.name, reason=held.reason,
            )))
        return self._open_ticket_action()

    def action_attach_to_ticket(self, ticket):
        """Post the mail as a message of ``ticket`` (read best-effort)."""
        self._check_held()
        ticket.ensure_one()
        for held in self:
            try:
                with self.env.cr.savepoint():
                    self.env["mail.thread"].sudo()._helpdesk_post_raw_on_ticket(held._raw(), ticket)
            except Exception as error:  # noqa: BLE001
                raise UserError(self.env._("The mail cannot be attached: %s", error)) from error
            held.write({"state": "attached", "ticket_id": ticket.id})
        return self._open_ticket_action()

    def action_discard(self):
        self._check_held()
        self.write({"state": "discarded"})
        return True

    def action_bounce(self):
        """Tell the sender the mail was not accepted, with the reason."""
        self._check_held()
        for held in self:
            if not tools.email_normalize(held.email_from or ""):
                raise UserError(self.env._("The sender of %s has no valid address to bounce to.", held.display_name))
            message = email.message_from_bytes(held._raw(), policy=email.policy.SMTP)
            body = Markup("<p>%s</p><p>%s</p>") % (
                self.env._("Your mail could not be accepted by our helpdesk."),
                self.env._("Reason: %s", held.reason),
            )
            self.env["mail.thread"].sudo()._routing_create_bounce_email(held.email_from, body, message)
            held.state = "bounced"
        return True

    def action_open_attach_wizard(self):
        self._check_held()
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.mail.held.attach",
            "view_mode": "form",
            "target": "new",
            "context": {"default_held_ids": self.ids},
        }

    def _open_ticket_action(self):
        tickets = self.ticket_id
        if len(tickets) != 1:
            return True
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.ticket",
            "res_id": tickets.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
