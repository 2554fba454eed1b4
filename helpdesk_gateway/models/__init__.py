from . import helpdesk_gateway_receipt
from . import mail_gateway
from . import mail_gateway_abstract
from . import discuss_channel
from . import helpdesk_ticket
from . import mail_notification
from . import helpdesk_routing_rule
from . import mail_thread
