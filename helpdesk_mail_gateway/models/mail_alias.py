import logging
import sys

import psycopg2
import psycopg2.errors

from odoo import models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

# Errors after which the same delivery succeeds when tried again: the transaction is
# rolled back and Odoo (or the MTA / the IMAP fetch) retries it. Concurrency errors
# are Odoo's own list; OperationalError/InterfaceError cover a lost connection.
TRANSIENT_DATABASE_ERRORS = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)
# ... except a cancelled statement (statement timeout): the same mail would time out
# again on every retry, its sender must be told
PERMANENT_DATABASE_ERRORS = (psycopg2.errors.QueryCanceled,)


class MailAlias(models.Model):
    _inherit = "mail.alias"

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        """No bounce, and no alias marked invalid, when a helpdesk ticket could not be
        created because of a transient database error: the delivery is retried and
        creates the ticket, and the customer must not receive a bounce for it."""
        error = sys.exc_info()[1]
        if (
            isinstance(error, TRANSIENT_DATABASE_ERRORS)
            and not isinstance(error, PERMANENT_DATABASE_ERRORS)
            and self.alias_model_id.model == "helpdesk.ticket"
        ):
            _logger.info(
                "Mail %s to %s hit a transient database error (%s); it will be retried, no bounce sent",
                message_dict.get("message_id"), self.display_name, type(error).__name__,
            )
            return
        return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
