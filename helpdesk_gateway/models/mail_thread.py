from odoo import models

from odoo.addons.mail.tools.discuss import Store


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_get_followers(self, after=None, limit=100, filter_recipients=False):
        """OCA's mail_gateway adds to every thread sent to the web client the followers that a
        gateway can reach (``_thread_to_store``), read with this method as the reader: a live
        chat visitor (guest, public user) may not read followers, so each of their message
        fetches failed with an AccessError once mail_gateway was installed. Whoever may not
        read followers gets none, as Odoo shows them none anyway."""
        if not self.env["mail.followers"].has_access("read"):
            self.ensure_one()
            return Store().get_result()
        return super().message_get_followers(after=after, limit=limit, filter_recipients=filter_recipients)
