# Analysis models (SQL views) and their QWeb reports live here.
from . import customer_value_report
from . import relationship_migration_report
from . import service_quality_report
from . import satisfaction_report
from . import trade_daily_report
from . import crm_kpi_report
from . import customer_value_store
from . import report_charts
from . import customer_profile_report
from . import customer_pyramid_report
from . import service_quality_pdf_report
from . import pyramid_forecast
from . import clv_fit_report
