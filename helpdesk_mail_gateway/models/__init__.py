from . import mail_thread
from . import helpdesk_mail_receipt
from . import helpdesk_mail_held
from . import helpdesk_department
from . import helpdesk_ticket
from . import fetchmail_server
from . import mail_alias
