import logging

import psycopg2.errors

from odoo import models

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _send(self, auto_commit=False, raise_exception=False, smtp_session=None, alias_domain_id=False,
              mail_server=False, post_send_callback=None):
        """Send only the mails this transaction could lock.

        Two workers can send the same ``mail.mail`` at once: the notifications of a
        ticket are sent right after the commit of the request that created them,
        while the mail queue cron picks every ``outgoing`` mail. Without a lock both
        write the mail's state, one of them fails with a serialization error (logged
        as an ERROR, its whole batch rolled back) and a mail can be left in
        ``exception`` or sent twice. Each mail is locked first (``SKIP LOCKED``):
        the worker that gets the lock sends it, the other one leaves it alone.

        The queue (``auto_commit``) commits after every mail, which would release a
        lock taken for the whole batch: there, each mail is locked in the
        transaction that sends it."""
        options = {
            "raise_exception": raise_exception, "smtp_session": smtp_session,
            "alias_domain_id": alias_domain_id, "mail_server": mail_server,
            "post_send_callback": post_send_callback,
        }
        if not auto_commit:
            return super(MailMail, self._helpdesk_lock_for_sending())._send(auto_commit=False, **options)
        for mail in self:
            locked = mail._helpdesk_lock_for_sending()
            if locked:
                super(MailMail, locked)._send(auto_commit=True, **options)
            else:
                # nothing written: end the transaction like a sent mail would
                self.env.cr.commit()
        return True

    def _helpdesk_lock_for_sending(self):
        """The mails of ``self`` still ``outgoing`` that no other transaction holds,
        locked until the end of the current transaction."""
        if not self.ids:
            return self
        self.flush_model(["state"])
        try:
            with self.env.cr.savepoint(flush=False):
                return self.browse(self._helpdesk_lock_query(self.ids))
        except psycopg2.errors.SerializationFailure:
            # another transaction changed (sent) some of them after our snapshot
            # was taken: lock them one by one, leaving out the ones it changed
            pass
        locked = []
        for mail_id in self.ids:
            try:
                with self.env.cr.savepoint(flush=False):
                    locked += self._helpdesk_lock_query([mail_id])
            except psycopg2.errors.SerializationFailure:
                _logger.info("mail.mail %s was sent by another worker meanwhile; skipped", mail_id)
        return self.browse(locked)

    def _helpdesk_lock_query(self, ids):
        self.env.cr.execute(
            """SELECT id FROM mail_mail
                WHERE id = ANY(%s) AND state = 'outgoing'
                ORDER BY id
                  FOR NO KEY UPDATE SKIP LOCKED""",
            [list(ids)],
        )
        return [row[0] for row in self.env.cr.fetchall()]
