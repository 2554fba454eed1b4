from . import helpdesk_routing_rule_test
from . import helpdesk_ticket_transfer
from . import helpdesk_ticket_merge
from . import helpdesk_article_insert
from . import helpdesk_article_from_ticket
from . import helpdesk_ticket_handoff
