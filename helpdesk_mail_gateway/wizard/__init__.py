from . import helpdesk_mail_held_attach
