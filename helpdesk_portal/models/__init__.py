from . import helpdesk_portal_attempt
from . import helpdesk_ticket
from . import helpdesk_department
from . import helpdesk_article
from . import helpdesk_kb_event
from . import ir_http
from . import ir_attachment
