"""The integrator API's read path over HTTP: ``POST /zhongzheng/api/1/<method>``
with an API key as bearer token and the method's arguments as a JSON object.

Only the read methods of ``zhongzheng.api`` (``customer_profile``,
``ticket_changes``), and a read-only route: Odoo serves it on a read-only
cursor, on the PostgreSQL replica when the server has one
(``--db_replica_host``), so the integrators' polling scales out with the
replica while XML-RPC keeps answering on the primary. The method runs as the
key's user with the rights it has over XML-RPC (the same method, the same
checks). Errors are JSON too: ``{"error": {"code", "message"}}`` with 401 for
a missing or wrong key, 400 for bad input, 403 for missing rights, 404 for an
unknown method.
"""

import inspect
import json

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request

from ..models.api_validators import check_dict

READ_METHODS = ("customer_profile", "ticket_changes")
MAX_BODY = 64 * 1024


def _answer(status, payload):
    return request.make_response(
        json.dumps(payload),
        headers=[("Content-Type", "application/json; charset=utf-8")],
        status=status,
    )


def _error(status, code, message):
    return _answer(status, {"error": {"code": code, "message": message}})


class IntegrationApiRead(http.Controller):
    @http.route(
        "/zhongzheng/api/1/<string:method>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        readonly=True,
        save_session=False,
    )
    def api_read(self, method, **_query):
        env = request.env
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        uid = None
        if scheme.lower() == "bearer" and token.strip():
            uid = env["res.users.apikeys"]._check_credentials(
                scope="rpc", key=token.strip()
            )
        if not uid:
            return _error(
                401,
                "invalid_token",
                env._(
                    "Send a valid API key as 'Authorization: Bearer <key>' (My "
                    "Profile › Account Security › New API Key)."
                ),
            )
        request.update_env(user=uid)
        env = request.env
        if method not in READ_METHODS:
            return _error(
                404,
                "unknown_method",
                env._(
                    "No read method %(method)s: use one of %(methods)s.",
                    method=repr(method),
                    methods=", ".join(READ_METHODS),
                ),
            )
        api = env["zhongzheng.api"]
        body = request.httprequest.get_data(cache=False)
        try:
            if len(body) > MAX_BODY:
                raise UserError(
                    env._("The body is over %(size)s bytes.", size=MAX_BODY)
                )
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise UserError(
                    env._("The body is not JSON: send the arguments as an object.")
                ) from None
            signature = inspect.signature(getattr(api, method))
            required = [
                name
                for name, parameter in signature.parameters.items()
                if parameter.default is inspect.Parameter.empty
            ]
            check_dict(env, params, "arguments", signature.parameters, required)
            result = getattr(api, method)(**params)
        except (AccessError, AccessDenied) as exc:
            return _error(403, "access_denied", str(exc.args[0]))
        except UserError as exc:  # ValidationError included
            return _error(400, "bad_input", str(exc.args[0]))
        return _answer(200, {"result": result})
