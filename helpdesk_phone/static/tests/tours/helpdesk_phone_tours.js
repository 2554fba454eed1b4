import { registry } from "@web/core/registry";

// A PBX opens the New Call page with the caller's number; the agent types what
// the caller says and logs the call on the caller's open ticket in one click.
registry.category("web_tour.tours").add("helpdesk_phone_new_call_tour", {
    steps: () => [
        {
            content: "The caller is found from the number of the URL",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Carla Customer)",
        },
        {
            content: "Their open ticket is listed",
            trigger: ".o_field_widget[name=open_ticket_ids] .o_data_row:contains(Printer is on fire)",
        },
        {
            content: "Write what the caller says",
            trigger: ".o_form_view .o_field_widget[name=notes] textarea",
            run: "edit Tour: the printer is still on fire",
        },
        {
            content: "Log the call on the open ticket",
            trigger:
                ".o_field_widget[name=open_ticket_ids] .o_data_row:contains(Printer is on fire) button[name=action_helpdesk_new_call_log_here]",
            run: "click",
        },
        {
            content: "The ticket opens with its call",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Printer is on fire), .o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "The call is in the chatter",
            trigger: ".o-mail-Message:contains(Tour: the printer is still on fire)",
        },
    ],
});
