from . import mail_gateway, mail_gateway_line, mail_notification
