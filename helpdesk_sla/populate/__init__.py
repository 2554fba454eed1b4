# SLA lines of the tickets made by helpdesk_ticket's populate (see bench/populate.py).
from . import helpdesk_ticket
