import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("helpdesk_portal_properties_tour", {
    url: "/my/tickets/new",
    steps: () => [
        {
            content: "No department chosen: no custom field is shown",
            trigger: "form.o_helpdesk_ticket_form:not(:has(.o_helpdesk_properties:not(.d-none)))",
        },
        {
            content: "Choose the department",
            trigger: "select[name=department_id]",
            run: "selectByLabel Test Support A",
        },
        {
            content: "Its custom fields appear, the other department's stay hidden",
            trigger: ".o_helpdesk_properties:not(.d-none) label:contains(Serial number)",
        },
        {
            content: "Billing's account number is hidden and disabled",
            trigger: ".o_helpdesk_properties:not(.d-none) label:contains(Serial number)",
            run() {
                const other = [...document.querySelectorAll(".o_helpdesk_properties label")].find(
                    (label) => label.textContent.includes("Account number")
                );
                const box = other && other.closest(".o_helpdesk_properties");
                if (!box || !box.classList.contains("d-none") || !box.querySelector("input").disabled) {
                    throw new Error("the other department's custom field is shown");
                }
            },
        },
        {
            content: "Write the subject",
            trigger: "input[name=subject]",
            run: "edit Tour: scanner with a serial number",
        },
        {
            content: "Describe the problem",
            trigger: "textarea[name=description]",
            run: "edit The scanner jams on every page.",
        },
        {
            content: "Fill in the serial number",
            trigger: ".o_helpdesk_properties:not(.d-none) .o_helpdesk_property[data-property-type=char] input",
            run: "edit SN-TOUR-1",
        },
        {
            content: "Fill in the number of units",
            trigger: ".o_helpdesk_properties:not(.d-none) .o_helpdesk_property[data-property-type=integer] input",
            run: "edit 4",
        },
        {
            content: "Leave the required model empty; the browser's own check is lifted so that the server answers",
            trigger: ".o_helpdesk_properties:not(.d-none) .o_helpdesk_property[data-property-type=selection] select",
            run() {
                this.anchor.removeAttribute("required");
            },
        },
        {
            content: "Submit",
            trigger: "button.o_helpdesk_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The form comes back with the error next to the field",
            trigger: ".o_helpdesk_property .invalid-feedback:contains(Model)",
        },
        {
            content: "The input is kept",
            trigger: ".o_helpdesk_properties:not(.d-none) .o_helpdesk_property[data-property-type=char] input:value(SN-TOUR-1)",
        },
        {
            content: "The subject is kept",
            trigger: "input[name=subject]:value(Tour: scanner with a serial number)",
        },
        {
            content: "Choose the model",
            trigger: ".o_helpdesk_properties:not(.d-none) .o_helpdesk_property[data-property-type=selection] select",
            run: "selectByLabel X1",
        },
        {
            content: "Submit again",
            trigger: "button.o_helpdesk_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The ticket page shows the custom fields",
            trigger: ".o_helpdesk_custom_field:contains(SN-TOUR-1)",
        },
        {
            content: "and the model by its label",
            trigger: ".o_helpdesk_custom_field:contains(X1)",
        },
    ],
});
