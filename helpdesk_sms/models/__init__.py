from . import helpdesk_stage
from . import helpdesk_ticket
