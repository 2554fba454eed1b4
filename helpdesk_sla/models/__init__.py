from . import helpdesk_department
from . import helpdesk_sla_policy
from . import helpdesk_ticket_sla
from . import helpdesk_ticket_sla_pause
from . import helpdesk_ticket
from . import resource_calendar
from . import resource_calendar_attendance
from . import resource_calendar_leaves
