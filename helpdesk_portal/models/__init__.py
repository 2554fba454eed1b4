from . import helpdesk_portal_attempt
from . import helpdesk_ticket
