from . import test_portal_security
from . import test_portal_flows
from . import test_portal_query_count
from . import test_portal_tour
from . import test_kb_portal
from . import test_portal_followed
from . import test_portal_language_tour
from . import test_portal_hooks
