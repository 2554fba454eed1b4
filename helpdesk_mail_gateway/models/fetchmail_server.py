import logging

from odoo import _, fields, models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)


class FetchmailServer(models.Model):
    _inherit = "fetchmail.server"

    def _helpdesk_keeps_failures(self):
        """IMAP servers feeding helpdesk tickets use the loss-free fetch loop."""
        self.ensure_one()
        return self._get_connection_type() == "imap" and self.object_id.model == "helpdesk.ticket"

    def fetch_mail(self, raise_exception=True):
        helpdesk_servers = self.filtered(lambda server: server._helpdesk_keeps_failures())
        others = self - helpdesk_servers
        if others:
            super(FetchmailServer, others).fetch_mail(raise_exception=raise_exception)
        for server in helpdesk_servers:
            server._helpdesk_fetch_imap(raise_exception=raise_exception)
        return True

    def _helpdesk_fetch_imap(self, raise_exception=True):
        """Fetch the unseen mails of an IMAP mailbox without losing any.

        Each mail is read without setting its \\Seen flag. It is flagged \\Seen only once
        its ticket (or message) is committed; a mail that cannot be processed is left
        unseen on the server, its error logged, and the next mails are processed. A crash
        between the commit and the flag only means the mail is read again and then
        ignored as a duplicate (same Message-Id)."""
        self.ensure_one()
        MailThread = self.env["mail.thread"].with_context(
            fetchmail_cron_running=True, default_fetchmail_server_id=self.id
        )
        _logger.info("start checking for new emails on %s server %s", self.server_type, self.name)
        count = failed = 0
        imap_server = None
        try:
            imap_server = self.connect()
            imap_server.select()
            _status, data = imap_server.search(None, "(UNSEEN)")
            for num in data[0].split():
                _status, fetched = imap_server.fetch(num, "(BODY.PEEK[])")
                raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
                count += 1
                if raw is None:
                    failed += 1
                    _logger.warning("Mail %s on server %s could not be read; left unseen.", num, self.name)
                    continue
                try:
                    MailThread.message_process(
                        self.object_id.model, raw, save_original=self.original,
                        strip_attachments=not self.attach,
                    )
                except Exception as error:  # noqa: BLE001 - any failure keeps the mail on the server
                    failed += 1
                    # every processed mail is committed already: start the next one afresh,
                    # also when the failure broke the transaction (lost connection...)
                    self.env.cr.rollback()
                    _logger.warning(
                        "Mail %s on %s server %s left unseen on the server: %s",
                        num.decode() if isinstance(num, bytes) else num, self.server_type, self.name, error,
                    )
                    continue
                self.env.cr.commit()
                imap_server.store(num, "+FLAGS", "\\Seen")
            _logger.info(
                "Fetched %d email(s) on %s server %s; %d succeeded, %d failed (left unseen).",
                count, self.server_type, self.name, count - failed, failed,
            )
        except Exception as error:
            if raise_exception:
                raise ValidationError(
                    _("Couldn't get your emails. Check out the error message below for more info:\n%s", error)
                ) from error
            _logger.info("General failure when fetching mail from %s server %s.", self.server_type, self.name,
                         exc_info=True)
        finally:
            if imap_server:
                try:
                    imap_server.close()
                    imap_server.logout()
                except Exception:  # noqa: BLE001
                    _logger.warning("Failed to properly finish imap connection: %s.", self.name, exc_info=True)
        self.write({"date": fields.Datetime.now()})
        return True
