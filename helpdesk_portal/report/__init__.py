from . import helpdesk_kb_deflection_report
