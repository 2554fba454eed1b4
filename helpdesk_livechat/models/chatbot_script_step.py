from odoo import fields, models
from odoo.tools import plaintext2html


class ChatbotScriptStep(models.Model):
    _inherit = "chatbot.script.step"

    step_type = fields.Selection(
        selection_add=[("create_ticket", "Create Ticket")], ondelete={"create_ticket": "cascade"},
    )
    helpdesk_department_id = fields.Many2one(
        "helpdesk.department", string="Helpdesk Department", ondelete="set null",
        help="Department of the ticket this step creates (routing rules still apply). "
        "Empty: the department of the live chat channel.",
    )

    def _process_step(self, discuss_channel):
        """A *Create Ticket* step files a helpdesk ticket for the visitor with the
        conversation so far (the email of an earlier *Email* step, the description of
        the visitor's free inputs) and answers with the step's message followed by the
        ticket's number. Other steps: Odoo's behaviour."""
        self.ensure_one()
        if self.step_type != "create_ticket":
            return super()._process_step(discuss_channel)
        # sudo: discuss.channel - the visitor's request moves the script forward (as Odoo does)
        discuss_channel.sudo().chatbot_current_step_id = self.id
        ticket = discuss_channel.sudo()._helpdesk_chatbot_ticket(self)
        if not ticket:
            # the visitor's address or email reached the limit of tickets filed by chatbots
            text = self.env._(
                "Too many tickets were requested from this connection or for this email address. "
                "Please try again later, or write to us by email."
            )
            return discuss_channel._chatbot_post_message(self.chatbot_script_id, plaintext2html(text))
        text = self.env._("Your ticket number is %s.", ticket.number)
        if self.message:
            text = f"{self.message}\n{text}"
        return discuss_channel._chatbot_post_message(self.chatbot_script_id, plaintext2html(text))
