import logging
import sys

from odoo import api, models, tools

from ..mail_tools import is_transient_database_error

_logger = logging.getLogger(__name__)

#: alias fields read by _helpdesk_alias_models (not alias_status, which Odoo's
#: gateway writes when it routes a mail)
ALIAS_ROUTING_FIELDS = {"alias_name", "alias_full_name", "alias_domain_id", "alias_incoming_local", "alias_model_id"}


class MailAlias(models.Model):
    _inherit = "mail.alias"

    @api.model
    @tools.ormcache()
    def _helpdesk_alias_models(self):
        """The models the aliases route to, as ``({full address: model},
        {local part: {models}})`` (the second for the aliases accepting any domain):
        the gateway tells from them whether a mail is the helpdesk's without a
        search per mail. Cached per worker, cleared when an alias or an alias
        domain (its name makes the full addresses) is created, changed or deleted."""
        self.flush_model(["alias_full_name", "alias_name", "alias_incoming_local", "alias_model_id"])
        self.env.cr.execute("""
            SELECT alias.alias_full_name, alias.alias_name, alias.alias_incoming_local, model.model
              FROM mail_alias alias
              JOIN ir_model model ON model.id = alias.alias_model_id
        """)
        by_full_name, by_local_part = {}, {}
        for full_name, name, incoming_local, model in self.env.cr.fetchall():
            if full_name:
                by_full_name[full_name.lower()] = model
            if name and incoming_local:
                by_local_part.setdefault(name.lower(), set()).add(model)
        return by_full_name, {name: frozenset(names) for name, names in by_local_part.items()}

    @api.model_create_multi
    def create(self, vals_list):
        aliases = super().create(vals_list)
        self.env.registry.clear_cache()  # _helpdesk_alias_models
        return aliases

    def write(self, vals):
        res = super().write(vals)
        if ALIAS_ROUTING_FIELDS & vals.keys():
            self.env.registry.clear_cache()  # _helpdesk_alias_models
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _helpdesk_alias_models
        return res

    def _alias_bounce_incoming_email(self, message, message_dict, set_invalid=True):
        """A department address whose ticket could not be created is neither marked
        invalid nor bounced automatically: after a transient database error the
        delivery is retried and creates the ticket; after any other error the mail
        is held for the managers (helpdesk.mail.held), who may bounce it. Refusals
        by the alias' own rules (``set_invalid=False``) bounce as in Odoo."""
        # exists(): Odoo calls this in a new cursor, which may not see an alias created
        # by the failed transaction; such an alias is left to Odoo's own handling
        if set_invalid and self.exists() and self.alias_model_id.model == "helpdesk.ticket":
            error = sys.exc_info()[1]
            _logger.info(
                "Mail %s to %s: the ticket could not be created (%s); %s, no bounce sent",
                message_dict.get("message_id"), self.display_name, type(error).__name__,
                "it will be retried" if is_transient_database_error(error) else "it is held for the managers",
            )
            return
        return super()._alias_bounce_incoming_email(message, message_dict, set_invalid=set_invalid)
