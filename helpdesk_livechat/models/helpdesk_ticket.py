from odoo import fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    livechat_channel_id = fields.Many2one(
        "discuss.channel", string="Live Chat Conversation", index="btree_not_null", copy=False,
        readonly=True, ondelete="set null",
    )
    livechat_rating_ids = fields.One2many(
        "rating.rating", "helpdesk_ticket_id", string="Live Chat Ratings", readonly=True,
        groups="helpdesk_ticket.group_helpdesk_agent",
    )

    def _on_created(self):
        """A ticket made from a live chat that the visitor already rated gets the
        rating (and, if positive, the Praise tag: an automation rule; if poor, the
        follow-up of helpdesk_ticket's poor ratings)."""
        super()._on_created()
        from_chat = self.filtered("livechat_channel_id")
        if not from_chat:
            return
        ratings = self.env["rating.rating"].sudo().search([
            ("res_model", "=", "discuss.channel"),
            ("res_id", "in", from_chat.livechat_channel_id.ids),
            ("helpdesk_ticket_id", "=", False),
        ])
        for ticket in from_chat.sorted("id"):
            mine = ratings.filtered(lambda r, t=ticket: r.res_id == t.livechat_channel_id.id)
            if mine:
                mine.helpdesk_ticket_id = ticket
                ratings -= mine
                # rated before the ticket existed: a poor rating is followed up now
                mine._helpdesk_follow_up_poor_ratings()
