from odoo import api, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    @api.model
    def _populate_after_duplicate(self, last_id):
        """Tickets copied by the populate engine get the SLA lines and the pause log of the
        ticket they were copied from, moved in time with the copy; a clock still running on
        a copy whose deadline is already past is recorded as failed (and handled), as the
        cron would have."""
        res = super()._populate_after_duplicate(last_id)
        self.env.cr.execute("""
            INSERT INTO helpdesk_ticket_sla
                (ticket_id, policy_id, company_id, department_id, target, target_hours, start_date,
                 deadline, warning_date, reached_date, status, paused_hours, pause_start, warning_sent, escalated,
                 create_uid, create_date, write_uid, write_date)
            SELECT t.id, l.policy_id, t.company_id, t.department_id, l.target, l.target_hours,
                   l.start_date + shift, l.deadline + shift, l.warning_date + shift, l.reached_date + shift,
                   CASE WHEN l.status = 'ongoing' AND l.deadline + shift < now() at time zone 'utc'
                        THEN 'failed' ELSE l.status END,
                   l.paused_hours, l.pause_start + shift,
                   l.warning_sent OR (l.status = 'ongoing' AND l.deadline + shift < now() at time zone 'utc'),
                   l.escalated OR (l.status = 'ongoing' AND l.deadline + shift < now() at time zone 'utc'),
                   1, t.create_date, 1, t.create_date
              FROM helpdesk_ticket t
              JOIN helpdesk_ticket src ON src.id = ((t.id - 1) %% %(last)s) + 1
              JOIN helpdesk_ticket_sla l ON l.ticket_id = src.id
             CROSS JOIN LATERAL (SELECT t.create_date - src.create_date AS shift) s
             WHERE t.id > %(last)s
        """, {"last": last_id})
        self.env.cr.execute("""
            INSERT INTO helpdesk_ticket_sla_pause
                (ticket_id, company_id, date_start, date_end, reason, create_uid, create_date, write_uid, write_date)
            SELECT t.id, t.company_id, p.date_start + shift, p.date_end + shift, p.reason,
                   1, t.create_date, 1, t.create_date
              FROM helpdesk_ticket t
              JOIN helpdesk_ticket src ON src.id = ((t.id - 1) %% %(last)s) + 1
              JOIN helpdesk_ticket_sla_pause p ON p.ticket_id = src.id
             CROSS JOIN LATERAL (SELECT t.create_date - src.create_date AS shift) s
             WHERE t.id > %(last)s
        """, {"last": last_id})
        self.env.cr.execute("ANALYZE helpdesk_ticket_sla")
        return res
