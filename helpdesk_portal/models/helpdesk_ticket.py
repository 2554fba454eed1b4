import re
import time
import uuid
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import consteq
from odoo.tools.misc import hmac

#: scope of the HMAC of the links sent by the status page (an HMAC of another scope,
#: e.g. Odoo's own signed tokens, never validates here)
LINK_SCOPE = "helpdesk_portal.ticket_link"
#: a link token: version, time of issue (hex seconds), signature (hex SHA-256)
LINK_TOKEN_RE = re.compile(r"hdl1\.([1-9a-f][0-9a-f]{0,11})\.([0-9a-f]{64})")
LINK_VALIDITY_PARAM = "helpdesk_portal.link_validity_days"
LINK_VALIDITY_DEFAULT = 7
#: clock skew tolerated between workers for a link issued "in the future"
LINK_CLOCK_SKEW = 300


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # ------------------------------------------------------------------
    # What a customer may do from the portal (the caller checks access first)
    # ------------------------------------------------------------------
    def _portal_can_close(self):
        """Open, not merged, and the department has a resolution stage to close it in."""
        self.ensure_one()
        return bool(self.active and not self.closed and not self.merged_into_id and self._closing_stage())

    def _portal_reopen_deadline(self):
        self.ensure_one()
        if not self.closed or not self.date_closed:
            return False
        return self.date_closed + timedelta(days=max(self.department_id.reopen_days or 0, 0))

    def _portal_can_reopen(self):
        """Closed within the reopen window, and the department has an open stage to reopen it in."""
        self.ensure_one()
        deadline = self._portal_reopen_deadline()
        return bool(
            self.active and deadline and fields.Datetime.now() <= deadline
            and self.env["helpdesk.stage"]._first_open_stage(self.department_id)
        )

    def _portal_rating_partner(self, visitor_partner=None):
        """The partner who rates: the logged-in visitor, else the ticket's customer."""
        self.ensure_one()
        return visitor_partner or self._rating_get_partner()

    def _portal_last_rating(self):
        """The last submitted (consumed) rating of the ticket, if any."""
        self.ensure_one()
        return self.sudo().rating_ids.filtered("consumed").sorted("write_date", reverse=True)[:1]

    def _portal_can_rate(self):
        self.ensure_one()
        return bool(self.closed and self.partner_id and not self._portal_last_rating())

    @api.model
    def _portal_expectations(self, visitor_partner=None):
        """What the ticket page promises the customer (``_customer_expectations``, the
        SLA addon's clocks): ``[{"label", "when", "paused"}]`` with the date in the
        visitor's time zone (else the ticket's customer's, else the department's
        working hours'), never a policy name."""
        self.ensure_one()
        _ = self.env._
        labels = {
            "first_response": _("First answer expected"),
            "resolution": _("Resolution expected"),
        }
        tz = (
            (visitor_partner and visitor_partner.tz) or self.partner_id.tz
            or self.department_id.resource_calendar_id.tz or "UTC"
        )
        result = []
        for expectation in self._customer_expectations():
            label = labels.get(expectation["target"])
            if not label:
                continue
            when = ""
            if expectation["deadline"] and not expectation["paused"]:
                when = tools.format_datetime(self.env, expectation["deadline"], tz=tz, dt_format="medium")
            result.append({"label": label, "when": when, "paused": expectation["paused"]})
        return result

    def _portal_custom_fields(self):
        """``[(label, value as text)]`` of the custom fields customers fill in for the
        ticket's department (the others are the agents'), those with a value."""
        self.ensure_one()
        if not self.department_id:
            return []
        values = self.sudo().ticket_properties or {}
        lines = []
        for prop in self.department_id._portal_properties():
            value = values.get(prop["name"])
            if value in (None, False, "") and prop["type"] != "boolean":
                continue
            if prop["type"] == "boolean":
                value = self.env._("Yes") if value else self.env._("No")
            elif prop["type"] == "selection":
                value = dict(prop["selection"]).get(value, value)
            elif prop["type"] == "datetime":
                value = tools.format_datetime(self.env, value, tz=self.partner_id.tz or "UTC", dt_format="medium")
            elif prop["type"] == "date":
                value = tools.format_date(self.env, value)
            lines.append((prop["string"], str(value)))
        return lines

    def _message_post_after_hook(self, message, msg_vals):
        # the files of a message of the conversation shown to the customer get their
        # download token now: the ticket page, a read-only route (served by a replica
        # with db_replica_host), lists them with it and writes nothing. Files of
        # internal notes never get one (test_portal_trust).
        res = super()._message_post_after_hook(message, msg_vals)
        if message.attachment_ids and self._portal_is_customer_message(message):
            message.attachment_ids.sudo().generate_access_token()
        return res

    def _portal_is_customer_message(self, message):
        """Whether ``message`` is part of the conversation shown to the customer: a
        comment or mail of a public subtype that was not hidden from the portal
        (``is_internal``, e.g. messages moved from another customer's ticket)."""
        return bool(
            message.message_type in ("comment", "email", "email_outgoing")
            and not message.is_internal
            and message.subtype_id
            and not message.subtype_id.internal
        )

    def _portal_attachments(self):
        """Files the customer may list and download with the ticket's credentials:

        - the files of the public messages of the conversation, and
        - the customer side's own uploads (made by portal or public users through the
          forms or the portal chatter) that belong to no message.

        Never: files dropped on the ticket by agents without a message, files of
        internal notes, files of another customer's ticket moved here by a merge (the
        merge attaches them to an internal note)."""
        self.ensure_one()
        Attachment = self.env["ir.attachment"].sudo()
        messages = self.sudo().message_ids
        public_files = messages.filtered(self._portal_is_customer_message).attachment_ids
        uploads = Attachment.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("id", "not in", messages.attachment_ids.ids),
                ("create_uid.share", "=", True),
            ],
            order="id",
        )
        return (uploads | public_files.filtered(
            lambda a: a.res_model == self._name and a.res_id == self.id
        )).sorted("id")

    # ------------------------------------------------------------------
    # Links sent to the customer's mailbox, and the portal token
    # ------------------------------------------------------------------
    def _portal_link_signature(self, issued):
        """HMAC (database secret) of the ticket, its current portal token and the time
        of issue: rotating the token invalidates every link issued before."""
        self.ensure_one()
        return hmac(self.env(su=True), LINK_SCOPE, (self.id, self.sudo().access_token or "", int(issued)))

    def _portal_link_token(self):
        """A fresh link token for this ticket (single purpose: open this ticket's page
        and conversation as its customer), valid ``helpdesk_portal.link_validity_days``."""
        self.ensure_one()
        self.sudo()._portal_ensure_token()
        issued = int(time.time())
        return f"hdl1.{issued:x}.{self._portal_link_signature(issued)}"

    @api.model
    def _portal_link_validity_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(LINK_VALIDITY_PARAM, LINK_VALIDITY_DEFAULT)
        try:
            return max(int(value), 0)
        except (TypeError, ValueError):
            return LINK_VALIDITY_DEFAULT

    @api.model
    def _portal_is_link_token(self, token):
        return isinstance(token, str) and token.startswith("hdl1.")

    def _portal_check_link_token(self, token):
        """Whether ``token`` is a link of this ticket, issued for its current portal
        token, within the validity period (the period is read now, so shortening it
        also shortens links already sent)."""
        if len(self) != 1 or not isinstance(token, str):
            return False
        match = LINK_TOKEN_RE.fullmatch(token)
        if not match or not self.sudo().access_token:
            return False
        issued = int(match.group(1), 16)
        now = time.time()
        if issued > now + LINK_CLOCK_SKEW or now - issued > self._portal_link_validity_days() * 86400:
            return False
        return consteq(match.group(2), self._portal_link_signature(issued))

    def _portal_check_token(self, token):
        """The ticket's portal token (links of acknowledgements) or a valid link."""
        self.ensure_one()
        if not token or not isinstance(token, str) or not token.isascii():
            return False
        if self._portal_is_link_token(token):
            return self._portal_check_link_token(token)
        return bool(self.sudo().access_token) and consteq(self.sudo().access_token, token)

    def _portal_link_url(self, token):
        self.ensure_one()
        return f"{self.get_base_url()}{self.access_url}?access_token={token}"

    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        """The portal chatter of a guest who opened a link sent by the status page uses
        that link as its token (the ticket's own token is never given to them).

        Malformed credentials are dropped first: Odoo compares them with
        ``hmac.compare_digest`` (non-ASCII text raises) and reads ``pid`` with ``int()``
        ('²' raises), which would answer 500 instead of "no access"."""
        token, pid, sign = kwargs.get("token"), kwargs.get("pid"), kwargs.get("hash")
        if token is not None and not (isinstance(token, str) and token.isascii() and len(token) <= 128):
            kwargs["token"] = None
        if pid is not None or sign is not None:
            pid_ok = isinstance(pid, int) or (isinstance(pid, str) and pid.isascii() and pid.isdigit() and len(pid) <= 10)
            if not (pid_ok and isinstance(sign, str) and sign.isascii() and len(sign) <= 128):
                kwargs["pid"] = kwargs["hash"] = None
        thread = super()._get_thread_with_access(thread_id, mode, **kwargs)
        if thread or not self._portal_is_link_token(kwargs.get("token")):
            return thread
        ticket_sudo = self.browse(thread_id).sudo().exists()
        if ticket_sudo and ticket_sudo._portal_check_link_token(kwargs["token"]):
            return ticket_sudo
        return self.browse()

    def _portal_rotate_token(self):
        """A new portal token per ticket: every link sent before (acknowledgements,
        notifications, links of the status page) stops opening the ticket."""
        for ticket in self.sudo():
            ticket.access_token = str(uuid.uuid4())

    def _portal_customer_changes(self, vals):
        """Whether writing ``vals`` gives the ticket another customer: another contact,
        or another customer address. Linking the contact that has the ticket's
        address already is the same customer."""
        self.ensure_one()
        old_email = tools.email_normalize(self.partner_email or "") or False
        if "partner_email" in vals and (tools.email_normalize(vals["partner_email"] or "") or False) != old_email:
            return True
        if "partner_id" not in vals:
            return False
        new_partner = self.env["res.partner"].browse(vals["partner_id"] or [])
        if new_partner == self.partner_id:
            return False
        if not self.partner_id and new_partner and new_partner.email_normalized == old_email:
            return False
        return True

    def write(self, vals):
        # who changes customer is known from the new values only before the write;
        # the token is rotated after it, on those tickets alone
        rotate = self.browse()
        if ("partner_id" in vals or "partner_email" in vals) and "access_token" not in vals:
            rotate = self.filtered(lambda ticket: ticket._portal_customer_changes(vals))
        res = super().write(vals)
        if rotate:
            rotate._portal_rotate_token()
        return res

    def action_portal_revoke_access(self):
        """Manager button: links sent so far (acknowledgements, notifications, status
        page) no longer open the ticket; the customer asks for a new link on the
        status page, which is sent to the ticket's address only."""
        if not self.env.user.has_group("helpdesk_ticket.group_helpdesk_manager"):
            raise AccessError(self.env._("Only helpdesk managers can revoke portal access."))
        self.check_access("write")
        self._portal_rotate_token()
        for ticket in self.sudo():
            ticket.message_post(
                body=self.env._("Portal access revoked: the links sent before no longer open this ticket."),
                subtype_xmlid="mail.mt_note",
                author_id=self.env.user.partner_id.id,
            )
        return True

    def _portal_link_recipient(self, normalized_email):
        """The ticket's own address that matches ``normalized_email`` (the mail goes to
        the ticket's address, never to a typed one)."""
        self.ensure_one()
        partner = self.partner_id
        if partner and partner.email_normalized == normalized_email:
            return partner.email_formatted
        if self.partner_email and tools.email_normalize(self.partner_email) == normalized_email:
            return self.partner_email
        return False

    def _portal_send_link(self, normalized_email):
        """Queue a mail to the ticket's address with the status of the ticket and a
        fresh link to its conversation (sent by Odoo's mail queue, never in the
        visitor's request). The mail is not part of the ticket's chatter: the link is
        a credential and readers of the thread are not all its customer."""
        self.ensure_one()
        ticket = self.sudo()
        recipient = ticket._portal_link_recipient(normalized_email)
        if not recipient:
            return self.env["mail.mail"]
        lang = ticket.partner_id.lang or self.env.context.get("lang")
        ticket = ticket.with_context(lang=lang)
        token = ticket._portal_link_token()
        body = self.env["ir.qweb"].with_context(lang=lang)._render("helpdesk_portal.mail_ticket_link", {
            "ticket": ticket,
            "link": ticket._portal_link_url(token),
            "validity_days": ticket._portal_link_validity_days(),
        })
        email_from = (
            ticket.company_id.email_formatted
            or self.env["ir.mail_server"].sudo()._get_default_from_address()
        )
        mail = self.env["mail.mail"].sudo().create({
            "subject": ticket.env._("[%(number)s] Your link to follow your request", number=ticket.number),
            "body_html": body,
            "email_from": email_from,
            "email_to": recipient,
            "auto_delete": True,
        })
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return mail

    # ------------------------------------------------------------------
    # Guest tracking
    # ------------------------------------------------------------------
    @api.model
    def _portal_find_for_tracking(self, number, email):
        """The ticket with this number whose customer has this email, else an empty recordset.

        Same result (empty) whether the number or the email is wrong."""
        number = (number or "").strip()
        normalized = tools.email_normalize(email or "")
        if not number or not normalized:
            return self.browse()
        # exact comparison only: a pattern (ilike, wildcards) would let a visitor who
        # knows an email address reach that customer's tickets without their number
        candidates = self.sudo().search([("number", "in", list({number, number.upper()}))])
        for ticket in candidates:
            emails = {tools.email_normalize(ticket.partner_email or "")}
            if ticket.partner_id:
                emails.add(ticket.partner_id.email_normalized)
            if normalized in emails:
                return ticket
        return self.browse()
