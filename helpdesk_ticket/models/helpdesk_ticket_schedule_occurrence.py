from odoo import fields, models


class HelpdeskTicketScheduleOccurrence(models.Model):
    """The ticket a date-driven schedule opened for one record and date: the record of
    what was done, so that each record and date gets one ticket (the unique key holds it
    even if two runs of the job overlapped)."""

    _name = "helpdesk.ticket.schedule.occurrence"
    _description = "Ticket Opened by a Date-Driven Schedule"
    _order = "date desc, id desc"

    schedule_id = fields.Many2one("helpdesk.ticket.schedule", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="schedule_id.company_id", store=True, index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", required=True)
    res_model = fields.Char(related="schedule_id.res_model")
    date = fields.Date("Record Date", required=True)
    ticket_id = fields.Many2one("helpdesk.ticket", string="Ticket", ondelete="set null")

    _sql_constraints = [
        ("record_date_uniq", "unique (schedule_id, res_id, date)", "This record already has its ticket for this date."),
    ]
