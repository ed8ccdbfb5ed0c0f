from . import test_foundation
from . import test_value_engine
from . import test_clv
from . import test_value_facts
from . import test_relationship
from . import test_flow
from . import test_service_ticket
from . import test_service_sla
