from . import test_ticket
from . import test_security
from . import test_crm
from . import test_performance
from . import test_routing
from . import test_assignment
from . import test_transfer_merge
from . import test_time_rules
