from . import helpdesk_new_call
