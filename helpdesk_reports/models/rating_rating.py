from odoo import api, models


class RatingRating(models.Model):
    _inherit = "rating.rating"

    def _report_summary_tickets(self):
        """The existing helpdesk tickets these ratings are about."""
        ids = {rating.res_id for rating in self.sudo() if rating.res_model == "helpdesk.ticket" and rating.res_id}
        return self.env["helpdesk.ticket"].sudo().browse(ids).exists() if ids else self.env["helpdesk.ticket"]

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._report_summary_tickets()._report_summary_flag()
        return ratings

    def write(self, vals):
        # any write may change which rating of a ticket is the last one (latest write):
        # the summary's satisfaction of the tickets rated before and after is recounted
        tickets = self._report_summary_tickets()
        result = super().write(vals)
        (tickets | self._report_summary_tickets())._report_summary_flag()
        return result

    def unlink(self):
        self._report_summary_tickets()._report_summary_flag()
        return super().unlink()
