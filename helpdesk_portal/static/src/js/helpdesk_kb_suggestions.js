/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";
import { debounce } from "@web/core/utils/timing";

/**
 * Suggests knowledge base articles while the customer types the subject of a new ticket
 * (/my/tickets/new and /helpdesk/submit), and reports a form left without submitting
 * after a suggested article was opened.
 */
publicWidget.registry.HelpdeskKbSuggestions = publicWidget.Widget.extend({
    selector: "form.o_helpdesk_ticket_form, form.o_helpdesk_public_form",
    events: {
        "input input[name='subject']": "_onSubjectInput",
        "change select[name='department_id']": "_onSubjectInput",
        "click .o_helpdesk_kb_suggestion_list a": "_onSuggestionClick",
        submit: "_onSubmit",
    },

    start() {
        this.formKey = this._newFormKey();
        this.formType = this.el.classList.contains("o_helpdesk_public_form") ? "public" : "portal";
        this.box = this.el.querySelector(".o_helpdesk_kb_suggestions");
        this.list = this.el.querySelector(".o_helpdesk_kb_suggestion_list");
        this.opened = false;
        this.submitted = false;
        this.lastQuery = null;
        this._fetch = debounce(this._fetchSuggestions.bind(this), 300);
        this._onPageHide = this._onPageHide.bind(this);
        window.addEventListener("pagehide", this._onPageHide);
        return this._super(...arguments);
    },

    destroy() {
        window.removeEventListener("pagehide", this._onPageHide);
        this._super(...arguments);
    },

    _newFormKey() {
        if (window.crypto && window.crypto.randomUUID) {
            return window.crypto.randomUUID();
        }
        const bytes = new Uint8Array(16);
        window.crypto.getRandomValues(bytes);
        return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    },

    _onSubjectInput() {
        this._fetch();
    },

    async _fetchSuggestions() {
        if (!this.box) {
            return;
        }
        const subject = (this.el.querySelector("input[name='subject']").value || "").trim();
        const departmentSelect = this.el.querySelector("select[name='department_id']");
        const departmentId = departmentSelect ? departmentSelect.value : "";
        const query = `${departmentId}|${subject}`;
        if (query === this.lastQuery) {
            return;
        }
        this.lastQuery = query;
        if (subject.length < 2) {
            this._render([]);
            return;
        }
        const articles = await rpc("/helpdesk/kb/suggest", {
            subject,
            department_id: departmentId || false,
            form_key: this.formKey,
            form: this.formType,
        });
        if (query === this.lastQuery) {
            this._render(articles || []);
        }
    },

    _render(articles) {
        this.list.replaceChildren();
        for (const article of articles) {
            const item = document.createElement("li");
            item.className = "mb-1";
            const link = document.createElement("a");
            link.href = article.url;
            link.target = "_blank";
            link.rel = "noopener";
            link.className = "o_helpdesk_kb_suggestion";
            link.textContent = article.name;
            item.appendChild(link);
            if (article.summary) {
                const summary = document.createElement("div");
                summary.className = "small text-muted";
                summary.textContent = article.summary;
                item.appendChild(summary);
            }
            this.list.appendChild(item);
        }
        this.box.classList.toggle("d-none", !articles.length);
    },

    _onSuggestionClick() {
        this.opened = true;
    },

    _onSubmit() {
        this.submitted = true;
    },

    _onPageHide() {
        if (!this.opened || this.submitted || !navigator.sendBeacon) {
            return;
        }
        const csrf = this.el.querySelector("input[name='csrf_token']");
        const data = new FormData();
        data.append("form_key", this.formKey);
        if (csrf) {
            data.append("csrf_token", csrf.value);
        }
        navigator.sendBeacon("/helpdesk/kb/abandoned", data);
        this.opened = false;
    },
});

export default publicWidget.registry.HelpdeskKbSuggestions;
