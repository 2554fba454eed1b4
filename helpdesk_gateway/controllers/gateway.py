import json
import logging

import psycopg2

from odoo.exceptions import UserError
from odoo.http import request, route
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.mail_gateway.controllers.gateway import GatewayController

_logger = logging.getLogger(__name__)


def _json_response(status, payload=None):
    response = request.make_response(json.dumps(payload or {}), [("Content-Type", "application/json")])
    response.status_code = status
    return response


class HelpdeskGatewayController(GatewayController):
    """The webhook of a gateway linked to a helpdesk department answers like a provider
    expects a careful receiver to: 403 for a bad or missing signature / verify token,
    400 for a body that is not the app's JSON, 200 once for an update delivered twice.
    Gateways without a department keep OCA's behaviour untouched."""

    @route()
    def post_update(self, usage, token, *args, **kwargs):
        method = request.httprequest.method
        state = "pending" if method == "GET" else "integrated"
        Gateway = request.env["mail.gateway"].sudo()
        bot_data = Gateway._get_gateway(token, gateway_type=usage, state=state)
        if method == "GET" and not bot_data:
            # an integrated gateway may be verified again by the provider
            bot_data = Gateway._get_gateway(token, gateway_type=usage, state="integrated")
        if not bot_data or not bot_data.get("helpdesk"):
            return super().post_update(usage, token, *args, **kwargs)
        if method == "GET":
            return self._helpdesk_verify_get(usage, token, bot_data, **kwargs)
        return self._helpdesk_post(usage, token, bot_data)

    def _helpdesk_verify_get(self, usage, token, bot_data, **kwargs):
        dispatcher = request.env[f"mail.gateway.{usage}"].with_user(bot_data["webhook_user_id"])
        if not hasattr(dispatcher, "_receive_get_update"):
            return _json_response(405)
        response = dispatcher.with_company(bot_data["company_id"])._receive_get_update(bot_data, request, **kwargs)
        if response is None:
            _logger.warning("Gateway %s (%s): webhook verification refused (bad verify token)", bot_data["id"], usage)
            return _json_response(403)
        return response

    def _helpdesk_post(self, usage, token, bot_data):
        dispatcher = (
            request.env[f"mail.gateway.{usage}"]
            .with_user(bot_data["webhook_user_id"])
            .with_company(bot_data["company_id"])
            .with_context(no_gateway_notification=True)
        )
        # the connectors check the raw body (HMAC) or a header: before reading it
        if not dispatcher._verify_update(bot_data, {}):
            _logger.warning("Gateway %s (%s): update refused, bad or missing signature", bot_data["id"], usage)
            return _json_response(403)
        try:
            update = json.loads(request.httprequest.get_data().decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            _logger.warning("Gateway %s (%s): update refused, not JSON", bot_data["id"], usage)
            return _json_response(400)
        if dispatcher._helpdesk_is_malformed(update):
            _logger.warning("Gateway %s (%s): update refused, not an update of this app", bot_data["id"], usage)
            return _json_response(400)
        if dispatcher._helpdesk_is_ignored(update):
            return _json_response(200)
        gateway = dispatcher.env["mail.gateway"].sudo().browse(bot_data["id"])
        try:
            keys = dispatcher._helpdesk_delivery_keys(update)
            # all or nothing: an update that fails half-way leaves no chat, message nor receipt
            with request.env.cr.savepoint():
                if keys and not dispatcher.env["helpdesk.gateway.receipt"].sudo()._claim(gateway, keys):
                    _logger.info("Gateway %s (%s): update delivered again, ignored", bot_data["id"], usage)
                    return _json_response(200)
                dispatcher._receive_update(gateway, update)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # a concurrent transaction (the same chat on another worker): Odoo runs the request again
            raise
        except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError, AssertionError,
                UserError, psycopg2.DataError, psycopg2.IntegrityError) as error:
            # (AssertionError: Odoo's tools assert the type of what they are given, e.g. plaintext2html)
            # the savepoint is rolled back: nothing of the update is kept; the body is not logged
            _logger.warning("Gateway %s (%s): update refused, malformed (%s)", bot_data["id"], usage,
                            type(error).__name__)
            return _json_response(400)
        except Exception:  # noqa: BLE001 - a provider down while fetching media: it retries
            _logger.exception("Gateway %s (%s): update could not be processed, the provider will retry",
                              bot_data["id"], usage)
            return _json_response(503)
        return _json_response(200)
