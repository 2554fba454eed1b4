from . import helpdesk_ticket
from . import helpdesk_ticket_analysis
from . import helpdesk_department
from . import helpdesk_performance
from . import helpdesk_ticket_summary
from . import res_users
from . import helpdesk_ticket_backlog
from . import helpdesk_agent_workload
