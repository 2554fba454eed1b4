from odoo import api, fields, models


class RatingRating(models.Model):
    _inherit = "rating.rating"

    helpdesk_ticket_id = fields.Many2one(
        "helpdesk.ticket", string="Helpdesk Ticket", index="btree_not_null", readonly=True,
        compute="_compute_helpdesk_ticket_id", store=True, ondelete="set null",
        help="The ticket made from the rated live chat conversation.",
    )

    @api.depends("res_model", "res_id")
    def _compute_helpdesk_ticket_id(self):
        """A live chat's rating belongs to the first ticket made from the conversation
        (a ticket made after the rating links it itself, in ``_on_created``)."""
        chat_ratings = self.filtered(lambda r: r.res_model == "discuss.channel" and r.res_id)
        tickets = self.env["helpdesk.ticket"]
        if chat_ratings:
            tickets = tickets.sudo().with_context(active_test=False).search(
                [("livechat_channel_id", "in", chat_ratings.mapped("res_id"))], order="id desc",
            )
        first = {ticket.livechat_channel_id.id: ticket for ticket in tickets}
        for rating in self:
            ticket = first.get(rating.res_id) if rating in chat_ratings else None
            rating.helpdesk_ticket_id = ticket or rating.helpdesk_ticket_id

    def _helpdesk_rated_ticket(self):
        """A live chat's rating is about the ticket made from the conversation: a poor one
        is followed up on that ticket like a poor rating of the ticket itself."""
        self.ensure_one()
        if self.res_model == "discuss.channel":
            return self.helpdesk_ticket_id
        return super()._helpdesk_rated_ticket()
