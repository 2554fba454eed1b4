from . import test_livechat_ticket
from . import test_livechat_chatbot
from . import test_livechat_missed
from . import test_livechat_tour
