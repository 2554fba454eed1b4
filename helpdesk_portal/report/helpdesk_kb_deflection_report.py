from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.helpdesk_ticket.tools.sql_view import create_view

from ..models.helpdesk_kb_event import FORMS


class HelpdeskKbDeflectionReport(models.Model):
    """One row per display of a ticket form in which articles were suggested: was an
    article opened, and was the form then abandoned (the request deflected)?"""

    _name = "helpdesk.kb.deflection.report"
    _description = "Knowledge Base Deflection Analysis"
    _auto = False
    _order = "date desc"

    date = fields.Datetime(readonly=True)
    form = fields.Selection(FORMS, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    suggestion_count = fields.Integer("Articles Suggested", readonly=True)
    opened_count = fields.Integer("Articles Opened", readonly=True)
    article_opened = fields.Boolean(readonly=True)
    abandoned = fields.Boolean("Form Abandoned", readonly=True)
    deflected_count = fields.Integer("Deflected", readonly=True)
    deflection_rate = fields.Float(
        "Deflection Rate (%)", readonly=True, aggregator="avg",
        help="Share of the ticket forms with suggestions that were left without a ticket after "
        "the customer opened a suggested article.",
    )
    open_rate = fields.Float("Opened Rate (%)", readonly=True, aggregator="avg")

    def init(self):
        create_view(self.env.cr, self._table, SQL(
            """
                SELECT MIN(e.id) AS id,
                       MIN(e.create_date) AS date,
                       e.form_key,
                       MIN(e.form) AS form,
                       MIN(e.company_id) AS company_id,
                       MIN(e.partner_id) AS partner_id,
                       COUNT(*) FILTER (WHERE e.event_type = 'suggestion_shown') AS suggestion_count,
                       COUNT(*) FILTER (WHERE e.event_type = 'article_opened') AS opened_count,
                       BOOL_OR(e.event_type = 'article_opened') AS article_opened,
                       BOOL_OR(e.event_type = 'form_abandoned') AS abandoned,
                       CASE WHEN BOOL_OR(e.event_type = 'article_opened')
                             AND BOOL_OR(e.event_type = 'form_abandoned') THEN 1 ELSE 0 END AS deflected_count,
                       CASE WHEN BOOL_OR(e.event_type = 'article_opened')
                             AND BOOL_OR(e.event_type = 'form_abandoned') THEN 100.0 ELSE 0.0 END AS deflection_rate,
                       CASE WHEN BOOL_OR(e.event_type = 'article_opened') THEN 100.0 ELSE 0.0 END AS open_rate
                  FROM helpdesk_kb_event e
              GROUP BY e.form_key
                HAVING BOOL_OR(e.event_type = 'suggestion_shown')
            """
        ))
