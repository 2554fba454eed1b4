from . import helpdesk_gateway_link
from . import helpdesk_routing_rule_test
from . import mail_resend_message
