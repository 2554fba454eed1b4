/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";

/**
 * Custom fields of the ticket forms (/my/tickets/new, /helpdesk/submit): only the
 * fields of the chosen department are shown and sent; the others are hidden and
 * disabled (a hidden required input would block the form). The server renders the
 * same state, so the form works without this script too (the server checks the
 * fields of the chosen department only).
 */
publicWidget.registry.HelpdeskTicketProperties = publicWidget.Widget.extend({
    selector: "form.o_helpdesk_ticket_form, form.o_helpdesk_public_form",
    events: {
        "change select[name='department_id']": "_onDepartmentChange",
    },

    start() {
        this._onDepartmentChange();
        return this._super(...arguments);
    },

    _onDepartmentChange() {
        const select = this.el.querySelector("select[name='department_id']");
        const chosen = select ? select.value : "";
        for (const box of this.el.querySelectorAll(".o_helpdesk_properties")) {
            const active = box.dataset.departmentId === chosen;
            box.classList.toggle("d-none", !active);
            for (const input of box.querySelectorAll("input, select, textarea")) {
                input.disabled = !active;
            }
        }
    },
});
