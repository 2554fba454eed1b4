from markupsafe import Markup

from odoo import api, fields, models

#: ratings at or below this value (out of 5) are followed up by the department's manager
POOR_RATING_MAX = 2


class RatingRating(models.Model):
    _inherit = "rating.rating"

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._helpdesk_follow_up_poor_ratings()
        return ratings

    def write(self, vals):
        result = super().write(vals)
        if {"rating", "feedback", "consumed", "res_id", "res_model"} & vals.keys():
            self._helpdesk_follow_up_poor_ratings()
        return result

    def _helpdesk_rated_ticket(self):
        """The helpdesk ticket this rating is about (an empty recordset if none).

        A rating of a ticket is about that ticket; bridges override this for ratings of
        other records that belong to a ticket (e.g. the live chat conversation a ticket
        was made from), so that the same follow-up applies to them."""
        self.ensure_one()
        if self.res_model == "helpdesk.ticket" and self.res_id:
            return self.env["helpdesk.ticket"].browse(self.res_id)
        return self.env["helpdesk.ticket"]

    def _helpdesk_is_poor(self):
        self.ensure_one()
        return self.consumed and 0 < self.rating <= POOR_RATING_MAX

    def _helpdesk_follow_up_poor_ratings(self):
        """Act on the poor ratings (1 or 2 out of 5) among these ratings: each rated ticket
        gets the "Needs follow-up" tag and an activity for its department's manager quoting
        the customer's comment. Idempotent: a rating given again or completed with a comment
        later (the customer's feedback form) updates the pending activity, never adds one.
        Any caller (a ticket rated from its mail or the portal, a chat rated in the live chat
        window of a ticket's conversation) goes through here."""
        ratings = self.filtered(lambda r: r.res_model and r.res_id)
        if not ratings:
            return
        ratings = ratings.sudo()
        for rating in ratings:
            if not rating._helpdesk_is_poor():
                continue
            ticket = rating._helpdesk_rated_ticket().sudo()
            if ticket.exists():
                rating._helpdesk_follow_up(ticket)

    def _helpdesk_follow_up(self, ticket):
        """Tag ``ticket`` "Needs follow-up" and give its follow-up activity to the manager,
        with this (poor) rating and the customer's comment quoted."""
        self.ensure_one()
        tag = self.env.ref("helpdesk_ticket.tag_needs_follow_up", raise_if_not_found=False)
        activity_type = self.env.ref("helpdesk_ticket.mail_activity_type_poor_rating", raise_if_not_found=False)
        if tag and tag not in ticket.tag_ids:
            ticket.tag_ids = [fields.Command.link(tag.id)]
        if not activity_type:
            return
        note = self._helpdesk_follow_up_note(ticket)
        pending = ticket.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        if pending:
            pending.write({"note": note})
            return
        ticket.activity_schedule(
            activity_type_id=activity_type.id,
            summary=self.env._("Poor rating (%(rating)s/5) by %(customer)s", rating=int(self.rating),
                               customer=self.partner_id.name or ticket.partner_id.name or ticket.partner_email or "?"),
            note=note,
            user_id=self._helpdesk_follow_up_user(ticket).id,
        )

    @api.model
    def _helpdesk_follow_up_user(self, ticket):
        """Who follows a poor rating up: the manager of the ticket's department, else the
        manager of a department the ticket's agent works in (the agent's manager), else a
        helpdesk manager of the ticket's company."""
        if ticket.department_id.manager_id.active:
            return ticket.department_id.manager_id
        if ticket.user_id:
            agent_departments = self.env["helpdesk.department"].sudo().search(
                [("member_ids", "in", ticket.user_id.ids), ("manager_id", "!=", False),
                 ("company_id", "=", ticket.company_id.id)],
                limit=1,
            )
            if agent_departments:
                return agent_departments.manager_id
        return self.env["res.users"].sudo().search([
            ("groups_id", "in", self.env.ref("helpdesk_ticket.group_helpdesk_manager").ids),
            ("company_ids", "in", ticket.company_id.ids), ("share", "=", False),
        ], order="id", limit=1) or ticket.user_id

    def _helpdesk_follow_up_note(self, ticket):
        self.ensure_one()
        note = Markup("<p>%s</p>") % self.env._(
            "The customer rated %(rating)s out of 5 on %(date)s. Contact them, then mark this activity "
            "as done: the ticket leaves the list of poor ratings to follow up.",
            rating=int(self.rating), date=fields.Date.to_string(fields.Date.context_today(self)),
        )
        if self.feedback:
            note += Markup("<blockquote>%s</blockquote>") % self.feedback
        else:
            note += Markup("<p><em>%s</em></p>") % self.env._("No comment given.")
        return note
