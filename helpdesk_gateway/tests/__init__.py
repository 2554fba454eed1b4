from . import test_gateway_webhooks
from . import test_gateway_replies
from . import test_gateway_line
from . import test_gateway_guest_threads
from . import test_gateway_channels
from . import test_gateway_delivery
from . import test_gateway_retry
from . import test_gateway_retry_concurrency
