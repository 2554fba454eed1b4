from odoo.http import request

from odoo.addons.portal.controllers.thread import ThreadController


class HelpdeskThreadController(ThreadController):
    """A guest who opened a link of the status page posts in the portal chatter with
    that link as token; Odoo recognises the ticket's own token only, so the author
    (the ticket's customer) is set here, for helpdesk tickets alone."""

    def _prepare_post_data(self, post_data, thread, **kwargs):
        post_data = super()._prepare_post_data(post_data, thread, **kwargs)
        if (
            thread._name == "helpdesk.ticket"
            and request.env.user._is_public()
            and not post_data.get("author_id")
            and thread._portal_check_link_token(kwargs.get("token"))
        ):
            customer = thread.sudo().partner_id
            if customer:
                post_data["author_id"] = customer.id
        return post_data
