import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("helpdesk_kb_suggestion_tour", {
    url: "/helpdesk/submit",
    steps: () => [
        {
            content: "Choose the department",
            trigger: "select[name=department_id]",
            run: "selectByLabel Test Support A",
        },
        {
            content: "Type a piece of the subject in Thai",
            trigger: "input[name=subject]",
            run: "edit รหัสผ่าน",
        },
        {
            content: "The matching article is suggested",
            trigger: ".o_helpdesk_kb_suggestions:not(.d-none) a.o_helpdesk_kb_suggestion:contains(วิธีรีเซ็ตรหัสผ่านของคุณ)",
        },
        {
            content: "Unpublished articles are not suggested",
            trigger: ".o_helpdesk_kb_suggestions:not(:has(a:contains(ฉบับร่าง)))",
        },
    ],
});
