from . import test_phone_normalize
from . import test_phone_call_log
from . import test_phone_new_call
from . import test_phone_http
from . import test_phone_portal
