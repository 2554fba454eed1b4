from . import test_business_time
from . import test_sla_matching
from . import test_sla_clock
from . import test_sla_cron
from . import test_sla_concurrency
from . import test_sla_ui
from . import test_sla_working_hours
from . import test_sla_pause_log
