from . import helpdesk_gateway_link
from . import mail_resend_message
