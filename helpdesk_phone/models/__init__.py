from . import helpdesk_phone_search_mixin
from . import helpdesk_phone_call
from . import helpdesk_ticket
from . import res_partner
