from . import test_line_send, test_line_webhook
