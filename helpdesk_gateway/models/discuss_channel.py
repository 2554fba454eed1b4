"""A chat of a messaging app (a Discuss channel of OCA's mail_gateway) feeds the helpdesk:
the customer's messages go to the chat's open ticket, or make one."""

from odoo import fields, models
from odoo.tools import SQL, html2plaintext

from ..channels import GATEWAY_CHANNELS

SUBJECT_MAX_LENGTH = 120


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    helpdesk_ticket_ids = fields.One2many("helpdesk.ticket", "gateway_channel_id", string="Helpdesk Tickets")

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if self.channel_type == "gateway" and self.sudo().gateway_id.helpdesk_department_id:
            self._helpdesk_gateway_receive(message)
        return res

    def _helpdesk_gateway_sender(self, message):
        """Who wrote ``message`` in the app: a contact or a guest (mail.guest), or
        nothing when it is no customer message (an agent's reply written in Discuss,
        our copy of a ticket's message, a notification).

        Connectors post a sender they know as its contact, an unknown one as a guest;
        some (Telegram) post an unknown sender's message without author (or as the
        gateway's webhook user): the sender is then the chat's member that is no
        internal user."""
        if message.message_type != "comment" or message.gateway_message_id:
            return None
        author = message.sudo().author_id
        if message.author_guest_id and not author:
            return message.author_guest_id
        if author and (not author.user_ids or all(author.user_ids.mapped("share"))):
            return author
        if author and author != self.sudo().gateway_id.webhook_user_id.partner_id:
            return None
        members = self.sudo().channel_member_ids
        guests = members.guest_id
        if guests:
            return guests[:1]
        customers = members.partner_id.filtered(
            lambda partner: not partner.user_ids or all(partner.user_ids.mapped("share"))
        )
        return customers[:1] or None

    def _helpdesk_gateway_receive(self, message):
        """The customer wrote ``message`` in this chat: post it on the chat's open
        ticket (``_on_customer_message``: waiting stage back, reopening within the
        department's window), or on a new ticket of the gateway's department."""
        self.ensure_one()
        sender = self._helpdesk_gateway_sender(message)
        if not sender:
            self._helpdesk_gateway_agent_reply(message)
            return
        channel = self.sudo()
        partner = channel._helpdesk_gateway_customer(message, sender)
        Ticket = self.env["helpdesk.ticket"].sudo()
        ticket = channel._helpdesk_gateway_current_ticket()
        previous = Ticket
        if ticket and ticket.closed and not ticket._helpdesk_in_reopen_window():
            previous, ticket = ticket, Ticket
        if not ticket:
            # Race: two workers receiving two messages of this chat while it has no open
            # ticket would both create one. The ticket is claimed on the unique key
            # ticket:<chat>:<closed ticket it follows>; the second worker waits for the
            # first, gets a serialization failure and runs again, finding the ticket.
            self.env["helpdesk.gateway.receipt"].sudo()._claim(
                channel.gateway_id, [f"ticket:{channel.id}:{previous.id or 0}"]
            )
            ticket = Ticket.create(channel._helpdesk_gateway_ticket_values(message, partner))
            if previous:
                ticket._helpdesk_gateway_log_followup(previous)
        elif partner and not ticket.partner_id:
            ticket.partner_id = partner
        channel._helpdesk_gateway_copy_to_ticket(message, ticket, partner)

    def _helpdesk_gateway_agent_reply(self, message):
        """An agent answered in the chat itself (Discuss; OCA sends it to the app): like
        a live chat operator's message, it is the agent's message of the chat's open
        ticket (first response, last agent message), without a copy on the ticket."""
        if message.message_type != "comment" or message.gateway_message_id:
            return
        Ticket = self.env["helpdesk.ticket"].sudo()
        if not Ticket._is_public_message(message) or not message.author_id:
            return
        if message.author_id == self.sudo().gateway_id.webhook_user_id.partner_id:
            return
        ticket = self.sudo()._helpdesk_gateway_current_ticket()
        if ticket and not ticket.closed and Ticket._is_agent_message(message):
            ticket._on_agent_message(message)

    def _helpdesk_gateway_current_ticket(self):
        """The chat's latest ticket (the one it was merged into, if merged), or nothing."""
        self.ensure_one()
        Ticket = self.env["helpdesk.ticket"].sudo().with_context(active_test=False)
        ticket = Ticket.search([("gateway_channel_id", "=", self.id)], order="id desc", limit=1)
        seen = set()
        while ticket and not ticket.active and ticket.merged_into_id and ticket.id not in seen:
            seen.add(ticket.id)
            ticket = ticket.merged_into_id
        return ticket.with_context(active_test=True) if ticket.active else Ticket.browse()

    def _helpdesk_gateway_customer(self, message, sender):
        """The contact of ``sender`` (``_helpdesk_gateway_sender``). A known identity
        (OCA's res.partner.gateway.channel) gives it directly; an unknown sender (a
        guest) is matched by phone number on WhatsApp, else gets a contact made from the
        profile name, and the guest is merged into it with OCA's guest wizard (the
        identity is recorded, later messages come from the contact). The chat's message
        is then the contact's."""
        self.ensure_one()
        if sender._name == "res.partner" and not self._helpdesk_gateway_may_be(sender):
            sender = self._helpdesk_gateway_unlink_foreign(sender)
        if sender._name == "res.partner":
            partner = sender
        else:
            guest = sender
            partner = self.env["res.partner"]
            if self.gateway_id.gateway_type == "whatsapp":
                partner = self._helpdesk_gateway_partner_by_phone(guest.gateway_token or self.gateway_channel_token)
            Identity = self.env["res.partner.gateway.channel"].sudo()
            if partner and Identity.search_count([("partner_id", "=", partner.id),
                                                  ("gateway_id", "=", self.gateway_id.id)]):
                # that contact already writes from another account of this app
                partner = self.env["res.partner"]
            if not partner:
                partner = self.env["res.partner"].sudo().create({
                    "name": guest.name or self.name or self.gateway_channel_token,
                    # the language the connector learnt from the app's profile (LINE), if any
                    "lang": guest.lang or False,
                })
            self.env["mail.guest.manage"].sudo().create(
                {"guest_id": guest.id, "partner_id": partner.id}
            )._merge_partner(partner)
        if message.sudo().author_id != partner:
            message.sudo().write({"author_id": partner.id})
        return partner

    def _helpdesk_gateway_company(self):
        """The company whose tickets this chat feeds: the department's, else the gateway's."""
        gateway = self.sudo().gateway_id
        return gateway.helpdesk_department_id.company_id or gateway.company_id

    def _helpdesk_gateway_may_be(self, partner):
        """Whether the chat's sender may be ``partner``: a contact of the chat's company
        or a shared one (no company)."""
        company = partner.sudo().company_id
        return not company or company == self._helpdesk_gateway_company()

    def _helpdesk_gateway_unlink_foreign(self, foreign):
        """The connector took the sender for ``foreign``, a contact of another company
        (OCA's WhatsApp connector matches an unknown number against every contact's
        ``phone_sanitized``, as its webhook user, superuser by default, and records that
        contact as the sender's identity). The sender is not that contact: the chat's
        identity moves to a contact of the chat's company matched by phone, or to a new
        contact made from the chat's profile name; ``foreign`` leaves the chat."""
        channel = self.sudo()
        gateway = channel.gateway_id
        token = channel.gateway_channel_token
        Identity = self.env["res.partner.gateway.channel"].sudo()
        partner = self.env["res.partner"]
        if gateway.gateway_type == "whatsapp":
            partner = channel._helpdesk_gateway_partner_by_phone(token)
            if partner and Identity.search_count([("partner_id", "=", partner.id), ("gateway_id", "=", gateway.id)]):
                partner = self.env["res.partner"]  # that contact writes from another account
        if not partner:
            partner = self.env["res.partner"].sudo().create({"name": channel.name or token})
        identities = Identity.search([
            ("gateway_id", "=", gateway.id), ("gateway_token", "=", token), ("partner_id", "=", foreign.id),
        ])
        if identities:
            identities.write({"partner_id": partner.id})
        else:
            Identity.create({"name": gateway.name, "partner_id": partner.id, "gateway_id": gateway.id,
                             "gateway_token": token})
        channel.channel_member_ids.filtered(lambda member: member.partner_id == foreign).unlink()
        return partner

    def _helpdesk_gateway_partner_by_phone(self, number):
        """The contact whose phone or mobile is ``number`` (a WhatsApp id: the number in
        E.164 without '+'), compared in E.164 with phone_validation. A contact with a user
        first, then the oldest. Only a contact of the company whose ticket the chat feeds
        (the department's, else the gateway's) or a shared one (no company): a sender on
        company A's WhatsApp number never becomes company B's contact (its tickets, its
        name, the merge of the chat's guest into it)."""
        digits = "".join(ch for ch in str(number or "") if ch.isdigit())
        if len(digits) < 7:
            return self.env["res.partner"]
        e164 = f"+{digits}"
        # candidates: the last 7 digits appear in phone or mobile (formatting ignored)
        company = self._helpdesk_gateway_company()
        self.env["res.partner"].flush_model(["phone", "mobile", "active", "company_id"])
        self.env.cr.execute(SQL(
            """
            SELECT id FROM res_partner
             WHERE active AND (company_id IS NULL OR company_id = %(company)s)
               AND (regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') LIKE %(tail)s
                   OR regexp_replace(coalesce(mobile, ''), '[^0-9]', '', 'g') LIKE %(tail)s)
             ORDER BY id LIMIT 50
            """,
            tail=f"%{digits[-7:]}", company=company.id or None,
        ))
        candidates = self.env["res.partner"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        matches = candidates.filtered(lambda partner: any(
            partner._phone_format(number=value, country=partner.country_id, force_format="E164", raise_exception=False) == e164
            or partner._phone_format(number=value, force_format="E164", raise_exception=False) == e164
            for value in (partner.phone, partner.mobile) if value
        ))
        with_user = matches.filtered("user_ids")
        return (with_user or matches)[:1]

    def _helpdesk_gateway_ticket_values(self, message, partner):
        self.ensure_one()
        gateway = self.gateway_id
        department = gateway.helpdesk_department_id
        text = " ".join(html2plaintext(message.body or "").split())
        app = dict(gateway._fields["gateway_type"]._description_selection(self.env)).get(gateway.gateway_type)
        subject = text[:SUBJECT_MAX_LENGTH] or self.env._(
            "%(app)s message from %(name)s", app=app or gateway.name, name=partner.name or self.name,
        )
        values = {
            "name": subject,
            "description": message.body,
            "channel": gateway.gateway_type if gateway.gateway_type in dict(GATEWAY_CHANNELS) else "chat",
            "department_id": department.id,
            "company_id": department.company_id.id or gateway.company_id.id or self.env.company.id,
            "gateway_channel_id": self.id,
            "gateway_ack_pending": True,
        }
        if partner:
            values["partner_id"] = partner.id
        else:
            values["partner_name"] = self.name
        return values

    def _helpdesk_gateway_copy_to_ticket(self, message, ticket, partner):
        """Post the customer's ``message`` on ``ticket``, with copies of its files (the
        ticket's chatter and portal show them, with the ticket's access rules), and link
        both as OCA links a message to a record (``gateway_message_id`` of the chat's
        message)."""
        posted = ticket.sudo().message_post(
            body=message.body or "",
            author_id=partner.id or False,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachments=[
                (attachment.name, attachment.raw, {"mimetype": attachment.mimetype})
                for attachment in message.sudo().attachment_ids.sorted("id")
            ],
            gateway_type=self.gateway_id.gateway_type,
        )
        message.sudo().gateway_message_id = posted
        return posted
