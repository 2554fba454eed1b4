"""The rating links of the mails customers receive (Odoo's ``/rate`` pages): a
malformed link is not found instead of a server error."""
from werkzeug.exceptions import BadRequest, NotFound

from odoo import http
from odoo.http import request

from odoo.addons.rating.controllers.main import Rating

#: the rates a rating link or its form may carry (Odoo's three smileys)
RATING_VALUES = (1, 3, 5)
#: longer than any token Odoo makes (32 hexadecimal characters)
MAX_TOKEN_LENGTH = 128


def _check_token(token):
    """Refuse a token that cannot be looked up: PostgreSQL refuses a NUL character (a
    bad request: Odoo's "not found" page of a frontend route would look the path up
    as an attachment's URL, NUL included, and fail in turn); a token longer than any
    Odoo makes is not found."""
    if "\x00" in (token or ""):
        raise BadRequest()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound()


class HelpdeskRating(Rating):
    """Odoo's rating pages answer a link with a NUL in its token, a rate other than 1, 3
    or 5, or a form whose rate is no number with a server error (HTTP 500): a customer
    who mistyped or truncated the link of a ticket's rating request, or a crawler, gets
    "not found" (a wrong token already does) or "bad request" instead. Valid links are
    Odoo's own, for every rated model."""

    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        _check_token(token)
        if rate not in RATING_VALUES:
            raise NotFound()
        return super().action_open_rating(token, rate, **kwargs)

    @http.route()
    def action_submit_rating(self, token, rate=0, **kwargs):
        _check_token(token)
        if request.httprequest.method == "POST":
            try:
                rate = int(rate)
            except (TypeError, ValueError):
                raise BadRequest() from None
            if rate not in RATING_VALUES:
                raise BadRequest()
        return super().action_submit_rating(token, rate=rate, **kwargs)
