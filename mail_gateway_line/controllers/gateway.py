import json
import logging

import psycopg2

from odoo.http import request, route

from odoo.addons.mail_gateway.controllers.gateway import GatewayController

_logger = logging.getLogger(__name__)


def _json_response(status):
    response = request.make_response(json.dumps({}), [("Content-Type", "application/json")])
    response.status_code = status
    return response


class LineGatewayController(GatewayController):
    """OCA's webhook route, answered for LINE as LINE expects: 403 for a bad or missing
    X-Line-Signature, 400 for a body that is not LINE's JSON (or an event LINE does not
    send), 404 for an unknown webhook URL, 503 when the update cannot be processed now
    (LINE delivers it again when redelivery is on); nothing is created in those cases and
    the body is never logged. A valid update goes on to OCA's processing (``super()``,
    which calls ``mail.gateway.line._receive_update``) or to any other addon's override."""

    @route()
    def post_update(self, usage, token, *args, **kwargs):
        if usage != "line":
            return super().post_update(usage, token, *args, **kwargs)
        if request.httprequest.method != "POST":
            return _json_response(405)
        bot_data = request.env["mail.gateway"].sudo()._get_gateway(token, gateway_type="line", state="integrated")
        if not bot_data:
            _logger.warning("LINE webhook: no integrated LINE gateway for this webhook URL")
            return _json_response(404)
        dispatcher = request.env["mail.gateway.line"].with_user(bot_data["webhook_user_id"])
        if not dispatcher._verify_update(bot_data, {}):
            _logger.warning("LINE gateway %s: webhook refused, bad or missing X-Line-Signature", bot_data["id"])
            return _json_response(403)
        try:
            update = json.loads(request.httprequest.get_data().decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; RecursionError: nested too deep
            _logger.warning("LINE gateway %s: webhook refused, the body is not JSON", bot_data["id"])
            return _json_response(400)
        problem = dispatcher._line_check_update(update)
        if problem:
            _logger.warning("LINE gateway %s: webhook refused, %s", bot_data["id"], problem)
            return _json_response(400)
        try:
            # all or nothing: an update failing half-way (content download) leaves no chat nor message
            with request.env.cr.savepoint():
                return super().post_update(usage, token, *args, **kwargs)
        except psycopg2.Error:
            raise  # a concurrent transaction: Odoo runs the request again
        except Exception as error:  # noqa: BLE001 - LINE's data endpoint down, ...: LINE may redeliver
            _logger.warning("LINE gateway %s: update not processed (%s), LINE may deliver it again",
                            bot_data["id"], error)
            return _json_response(503)
