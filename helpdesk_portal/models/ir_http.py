from werkzeug.routing import BaseConverter, ValidationError

from odoo import models
from odoo.http import request

#: largest value of a PostgreSQL ``integer`` column (ids)
PG_INT_MAX = 2**31 - 1
#: paths of the helpdesk pages (public and portal)
HELPDESK_PATHS = ("/my/tickets", "/helpdesk/")


class HelpdeskIdConverter(BaseConverter):
    """``<helpdesk_id:name>``: a record id or page number in a URL of the helpdesk pages.

    Odoo's ``int`` converter takes any Unicode digit (``\\d``: '٣', '๓') and any size,
    and an id that does not fit PostgreSQL's ``integer`` fails in the database. This
    one takes 1 to 10 ASCII digits whose value fits; any other path does not match
    the route (404)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value):
        number = int(value)
        if not 0 < number <= PG_INT_MAX:
            raise ValidationError()
        return number

    def to_url(self, value):
        return str(int(value))


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_converters(cls):
        return dict(super()._get_converters(), helpdesk_id=HelpdeskIdConverter)

    @classmethod
    def _serve_fallback(cls):
        # A path that matches no route is looked up as an attachment URL; with a NUL
        # character the database refuses the string and Odoo answers 500. For the
        # helpdesk's paths it is an unknown page: 404. Other paths are left to Odoo.
        path = request.httprequest.path
        if "\x00" in path and path.startswith(HELPDESK_PATHS):
            return None
        return super()._serve_fallback()
