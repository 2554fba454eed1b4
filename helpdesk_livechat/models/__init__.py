from . import im_livechat_channel
from . import discuss_channel
from . import helpdesk_ticket
from . import chatbot_script_step
from . import rating_rating
from . import helpdesk_livechat_attempt
