# Data generators for load testing: see helpdesk_ticket.py and bench/populate.py.
from . import helpdesk_department
from . import helpdesk_ticket
