from . import helpdesk_reports_demo
