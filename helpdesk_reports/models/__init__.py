from . import helpdesk_ticket
from . import helpdesk_ticket_analysis
from . import helpdesk_department
from . import helpdesk_performance
