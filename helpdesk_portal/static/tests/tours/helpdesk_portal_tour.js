import { registry } from "@web/core/registry";

function attachFile(selector, name, content) {
    const input = document.querySelector(selector);
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], name, { type: "text/plain" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

registry.category("web_tour.tours").add("helpdesk_portal_customer_tour", {
    url: "/my/tickets",
    steps: () => [
        {
            content: "Open the new ticket form",
            trigger: "a.o_helpdesk_new_ticket",
            run: "click",
        },
        {
            content: "Choose the department",
            trigger: "select[name=department_id]",
            run: "selectByLabel Test Support A",
        },
        {
            content: "Write the subject",
            trigger: "input[name=subject]",
            run: "edit Tour: the coffee machine makes tea",
        },
        {
            content: "Describe the problem",
            trigger: "textarea[name=description]",
            run: "edit Every button gives tea, even the espresso one.",
        },
        {
            content: "Attach a file",
            trigger: "input[name=attachments]",
            run() {
                attachFile("input[name=attachments]", "tour_note.txt", "coffee log");
            },
        },
        {
            content: "Submit the ticket",
            trigger: "button.o_helpdesk_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The ticket page shows the new ticket",
            trigger: ".o_helpdesk_subject:contains(Tour: the coffee machine makes tea)",
        },
        {
            content: "The attachment is listed",
            trigger: "a.o_helpdesk_attachment:contains(tour_note.txt)",
        },
        {
            content: "Write a reply in the chatter",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Here is more information from the tour.",
        },
        {
            content: "Send the reply",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the conversation",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(Here is more information from the tour.)",
        },
        {
            content: "Close the ticket",
            trigger: "button.o_helpdesk_close",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The ticket is closed and can be rated",
            trigger: ".o_helpdesk_rating_form",
        },
        {
            content: "Choose 'Satisfied'",
            trigger: ".o_helpdesk_rating_5 input[name=rating]",
            run: "click",
        },
        {
            content: "Leave a comment",
            trigger: "textarea[name=feedback]",
            run: "edit Quick and friendly",
        },
        {
            content: "Send the rating",
            trigger: "button.o_helpdesk_rate",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The rating is recorded",
            trigger: ".o_helpdesk_rated",
        },
    ],
});

registry.category("web_tour.tours").add("helpdesk_portal_guest_tour", {
    url: "/helpdesk/submit",
    steps: () => [
        {
            content: "Enter the name",
            trigger: "input[name=name]",
            run: "edit Gary Guest",
        },
        {
            content: "Enter the email",
            trigger: "input[name=email]",
            run: "edit gary.guest@example.org",
        },
        {
            content: "Choose the department",
            trigger: "select[name=department_id]",
            run: "selectByLabel Test Support A",
        },
        {
            content: "Write the subject",
            trigger: "input[name=subject]",
            run: "edit Tour: guest question",
        },
        {
            content: "Describe the request",
            trigger: "textarea[name=description]",
            run: "edit Can I get an invoice copy?",
        },
        {
            content: "Submit the form",
            trigger: "button.o_helpdesk_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Follow the tracking link",
            trigger: ".o_helpdesk_thanks a.o_helpdesk_track_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Enter the email used on the form",
            trigger: "input[name=email]",
            run: "edit gary.guest@example.org",
        },
        {
            content: "Ask for a link",
            trigger: "button.o_helpdesk_track",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page says a link was mailed, and shows nothing of the ticket",
            trigger: ".o_helpdesk_track_sent",
            run() {
                if (document.body.textContent.includes("Tour: guest question")) {
                    throw new Error("the status page shows the ticket without the mailed link");
                }
            },
        },
    ],
});

// The guest opens the link mailed by the status page: conversation, reply, close, rate.
registry.category("web_tour.tours").add("helpdesk_portal_guest_link_tour", {
    steps: () => [
        {
            content: "The guest sees the ticket",
            trigger: ".o_helpdesk_subject:contains(Tour: guest question)",
        },
        {
            content: "Write a reply in the chatter",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Reply from the mailed link.",
        },
        {
            content: "Send the reply",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the conversation",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(Reply from the mailed link.)",
        },
        {
            content: "Close the ticket",
            trigger: "button.o_helpdesk_close",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose 'Okay'",
            trigger: ".o_helpdesk_rating_3 input[name=rating]",
            run: "click",
        },
        {
            content: "Send the rating",
            trigger: "button.o_helpdesk_rate",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The rating is recorded",
            trigger: ".o_helpdesk_rated",
        },
    ],
});
