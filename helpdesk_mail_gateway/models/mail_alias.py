import logging
import sys

from odoo import models

from ..mail_tools import is_transient_database_error

_logger = logging.getLogger(__name__)


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        """A department address whose ticket could not be created is neither marked
        invalid nor bounced automatically: after a transient database error the
        delivery is retried and creates the ticket; after any other error the mail
        is held for the managers (helpdesk.mail.held), who may bounce it. Refusals
        by the alias' own rules (``set_invalid=False``) bounce as in Odoo."""
        if set_invalid and self.alias_model_id.model == "helpdesk.ticket":
            error = sys.exc_info()[1]
            _logger.info(
                "Mail %s to %s: the ticket could not be created (%s); %s, no bounce sent",
                message_dict.get("message_id"), self.display_name, type(error).__name__,
                "it will be retried" if is_transient_database_error(error) else "it is held for the managers",
            )
            return
        return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
