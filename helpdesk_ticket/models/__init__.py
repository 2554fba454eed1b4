from . import helpdesk_department
from . import helpdesk_stage
from . import helpdesk_tag
from . import helpdesk_ticket_type
from . import helpdesk_ticket
from . import res_partner
from . import crm_lead
from . import helpdesk_routing_rule
