import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

const inChat = (selector) => `.o-livechat-root:shadow ${selector}`;
const chatMessage = (text) => inChat(`.o-mail-Message:contains("${text}")`);

/** The operator turns the conversation into a ticket with /ticket (backend Discuss). */
registry.category("web_tour.tours").add("helpdesk_livechat_ticket_command_tour", {
    steps: () => [
        {
            content: "The visitor's message is in the conversation",
            trigger: ".o-mail-Message:contains(My printer is on fire)",
        },
        {
            content: "Type the command with a subject",
            trigger: ".o-mail-Composer-input",
            run: "edit /ticket Tour: printer on fire",
        },
        {
            content: "Send it",
            trigger: ".o-mail-Composer-input",
            run: "press Enter",
        },
        {
            content: "The command created the ticket (the operator's link comes through the bus)",
            trigger: ".o-mail-Composer-input",
            async run() {
                for (let attempt = 0; attempt < 50; attempt++) {
                    const count = await rpc("/web/dataset/call_kw/helpdesk.ticket/search_count", {
                        model: "helpdesk.ticket",
                        method: "search_count",
                        args: [[["name", "=", "Tour: printer on fire"]]],
                        kwargs: {},
                    });
                    if (count) {
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 200));
                }
                throw new Error("/ticket created no ticket");
            },
        },
        {
            content: "Go to the tickets",
            trigger: "body",
            run: "goToUrl /odoo/action-helpdesk_ticket.helpdesk_ticket_action_all",
        },
        {
            content: "Open the new ticket",
            trigger: ".o_data_row:contains(Tour: printer on fire) .o_data_cell",
            run: "click",
        },
        {
            content: "It is a chat ticket linked to the conversation, with the transcript",
            trigger: ".o_form_view .o_field_widget[name=livechat_channel_id]:contains(Tour Visitor chat)",
        },
        {
            trigger: ".o_form_view:contains(My printer is on fire)",
        },
    ],
});

/** A visitor talks to the chatbot, which files a ticket and gives its number. */
registry.category("web_tour.tours").add("helpdesk_livechat_chatbot_ticket_tour", {
    steps: () => [
        {
            content: "Open the live chat",
            trigger: inChat(".o-livechat-LivechatButton"),
            run: "click",
        },
        {
            content: "The bot greets",
            trigger: chatMessage("nobody is around but I can file a ticket"),
        },
        {
            content: "The bot asks for the email",
            trigger: chatMessage("What is your email address?"),
        },
        {
            trigger: inChat(".o-mail-Composer-input"),
            run: "edit tina@visitor.example",
        },
        {
            trigger: inChat(".o-mail-Composer-input"),
            run: "press Enter",
        },
        {
            content: "The bot asks for a description",
            trigger: chatMessage("Please describe your problem."),
        },
        {
            trigger: inChat(".o-mail-Composer-input"),
            run: "edit The coffee machine makes tea",
        },
        {
            trigger: inChat(".o-mail-Composer-input"),
            run: "press Enter",
        },
        {
            content: "The bot gives the ticket's number",
            trigger: chatMessage("Your ticket number is HD-"),
        },
    ],
});
