from . import test_ticket
from . import test_security
from . import test_crm
from . import test_performance
