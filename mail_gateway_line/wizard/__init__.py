from . import mail_resend_message
