from . import campaign_result
from . import campaign_report
from . import customer_pyramid_campaigns
