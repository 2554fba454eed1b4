from . import test_mail_corpus
from . import test_mail_threading
from . import test_mail_loops
from . import test_mail_outgoing
from . import test_mail_security
from . import test_ack_channels
from . import test_mail_transient_errors
from . import test_mail_send_concurrency
