from . import helpdesk_sla_policy
from . import helpdesk_ticket_sla
from . import helpdesk_ticket
