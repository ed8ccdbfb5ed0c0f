from . import value_settings
from . import activity_schedule
from . import ticket_rating
from . import report_period
