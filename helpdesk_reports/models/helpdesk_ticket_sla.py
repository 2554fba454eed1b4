from odoo import models

#: the SLA result of a ticket (the analysis' ``sla_met``) only depends on these classes of
#: its lines' statuses: one failed, one running, all reached
STATUS_CLASS = {"failed": "failed", "reached": "reached", "ongoing": "running", "paused": "running"}


class HelpdeskTicketSla(models.Model):
    _inherit = "helpdesk.ticket.sla"

    def _compute_status(self):
        # every change of status goes through this computation (a reach, a reopening, the
        # cron's failures, a re-planning): the tickets whose SLA result may change are
        # flagged for the analysis summary's job
        before = {line: STATUS_CLASS.get(line.status) for line in self}
        super()._compute_status()
        changed = self.filtered(lambda line: STATUS_CLASS.get(line.status) != before[line])
        changed.ticket_id._report_summary_flag()

    def write(self, vals):
        if "status" not in vals:
            return super().write(vals)
        # a status written directly (the cron's failures) is not computed
        before = {line: STATUS_CLASS.get(line.status) for line in self}
        result = super().write(vals)
        self.filtered(lambda line: STATUS_CLASS.get(line.status) != before[line]).ticket_id._report_summary_flag()
        return result

    def unlink(self):
        self.ticket_id._report_summary_flag()
        return super().unlink()
