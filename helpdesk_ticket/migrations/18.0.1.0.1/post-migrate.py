"""The idle reminder counts working days since 18.0.1.0.1: databases installed
before get the calendar on the shipped rule (data is noupdate), unless a
manager already edited its timing."""


def migrate(cr, version):
    cr.execute("""
        UPDATE base_automation a
           SET trg_date_calendar_id = cal.res_id
          FROM ir_model_data rule, ir_model_data cal
         WHERE rule.module = 'helpdesk_ticket' AND rule.name = 'automation_agent_reminder'
           AND a.id = rule.res_id
           AND cal.module = 'resource' AND cal.name = 'resource_calendar_std'
           AND a.trg_date_calendar_id IS NULL
           AND a.trg_date_range = 2 AND a.trg_date_range_type = 'day'
    """)
