from . import repair_order
from . import service_ticket
