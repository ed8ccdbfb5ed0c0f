"""Read your own writes when reads go to a PostgreSQL replica.

With ``--db_replica_host``, Odoo 18 serves the web client's read-only calls
(``web_read``, ``web_search_read``, pivots, graphs: methods marked
``@api.readonly``) on the replica, which replays the primary's changes a
little later. The form reloads right after a button (``call_button``, on the
primary) with a ``web_read``: on a lagging replica the user would see the
record as it was before the click, e.g. the old figures right after
*Recompute now*. So after a button, the session's reads stay on the primary
for ``PRIMARY_SECONDS``; then they go back to the replica.
"""

import time

from odoo import http
from odoo.http import request

from odoo.addons.web.controllers.dataset import DataSet

PRIMARY_UNTIL = "zz_reads_on_primary_until"
PRIMARY_SECONDS = 30


class DataSetReadYourWrites(DataSet):
    def _call_kw_readonly_after_writes(self):
        if request.session.get(PRIMARY_UNTIL, 0) > time.time():
            return False
        return self._call_kw_readonly()

    @http.route(readonly=_call_kw_readonly_after_writes)
    def call_kw(self, model, method, args, kwargs, path=None):
        return super().call_kw(model, method, args, kwargs, path=path)

    @http.route()
    def call_button(self, model, method, args, kwargs, path=None):
        result = super().call_button(model, method, args, kwargs, path=path)
        if not request.env.cr.readonly:
            request.session[PRIMARY_UNTIL] = time.time() + PRIMARY_SECONDS
        return result
