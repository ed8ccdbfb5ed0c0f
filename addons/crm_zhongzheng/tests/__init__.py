from odoo import http

# Odoo reads every module's manifest for its static paths on the first
# static file request of the process. A tour's first page asks for several
# assets at once, and CPython 3.11 may then fail in ast.parse in two threads
# ("SystemError: AST constructor recursion depth mismatch", CPython issue
# 106905): the assets answer 500 and the tour never starts (seen once in
# bin/test). Read here, in one thread, before any test server request.
STATIC_PATHS = http.root.statics  # the lazy property, computed once

from . import test_foundation
from . import test_value_engine
from . import test_clv
from . import test_value_facts
from . import test_relationship
from . import test_flow
from . import test_service_ticket
from . import test_service_sla
from . import test_service_claims
from . import test_demo
from . import test_service_portal
from . import test_service_portal_request
from . import test_tours
from . import test_i18n
from . import test_reports
from . import test_value_edge_cases
from . import test_api_refusals
from . import test_rights_figures
from . import test_service_trust
from . import test_customer_health
from . import test_value_cuts
from . import test_care_rules
from . import test_recommendation
from . import test_devices
from . import test_reports_scale
from . import test_pyramid_forecast
from . import test_device_service
from . import test_device_tours
from . import test_clv_models
from . import test_clv_backtest
from . import test_satisfaction
from . import test_clv_compression
