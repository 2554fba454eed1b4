from odoo import api, fields, models
from odoo.exceptions import ValidationError
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

    @api.constrains("step_type", "sequence", "chatbot_script_id")
    def _check_create_ticket_not_a_welcome_step(self):
        """The steps before the visitor's first answer are posted as the chat opens,
        without being processed (``chatbot.script._post_welcome_steps``): a *Create
        Ticket* step there would tell every visitor "thank you" and file nothing."""
        for script in self.filtered(lambda s: s.step_type == "create_ticket").chatbot_script_id:
            if script._get_welcome_steps().filtered(lambda s: s.step_type == "create_ticket"):
                raise ValidationError(self.env._(
                    "The Create Ticket step of the chatbot %(script)s files what the visitor typed: "
                    "put it after a question to the visitor (email, free input...).",
                    script=script.title,
                ))

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
