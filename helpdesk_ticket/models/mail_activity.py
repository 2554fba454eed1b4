from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking the follow-up of a poor rating done takes its ticket off the list of poor
        ratings to follow up (the "Needs follow-up" tag goes). Other activities: Odoo alone."""
        activity_type = self.env.ref("helpdesk_ticket.mail_activity_type_poor_rating", raise_if_not_found=False)
        follow_ups = self.filtered(
            lambda a: activity_type and a.res_model == "helpdesk.ticket" and a.activity_type_id == activity_type
        )
        tickets = self.env["helpdesk.ticket"].sudo().browse(follow_ups.mapped("res_id"))
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        tag = self.env.ref("helpdesk_ticket.tag_needs_follow_up", raise_if_not_found=False)
        if tickets and tag:
            handled = tickets.exists().filtered(
                lambda t: not t.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
            )
            handled.filtered(lambda t: tag in t.tag_ids).write({"tag_ids": [fields.Command.unlink(tag.id)]})
        return result
