from . import campaign_result
from . import campaign_report
