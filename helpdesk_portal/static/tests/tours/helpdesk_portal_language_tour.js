import { registry } from "@web/core/registry";

/**
 * The customer's portal in their own language: the ticket list and a ticket page are
 * translated, and in a right-to-left language the page declares dir="rtl" and its layout
 * is mirrored by Odoo's RTL stylesheet (made by rtlcss): what sits on the left in English
 * sits on the right.
 */

function center(element) {
    const box = element.getBoundingClientRect();
    return box.left + box.width / 2;
}

function check(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

function checkDirection(rtl) {
    const dir = rtl ? "rtl" : "ltr";
    check(document.documentElement.getAttribute("dir") === dir, `<html dir> is not ${dir}`);
    const stylesheets = [...document.querySelectorAll("link[rel=stylesheet]")].map((link) => link.href);
    const rtlBundle = stylesheets.some((href) => href.includes("web.assets_frontend.rtl"));
    check(
        rtlBundle === rtl,
        rtl
            ? "the right-to-left stylesheet is not served: is rtlcss installed (npm install -g rtlcss)?"
            : "a right-to-left stylesheet is served to a left-to-right language"
    );
}

function checkListMirrored(rtl) {
    // the first column (Number) sits on the side where reading starts
    const table = document.querySelector("table.o_portal_my_doc_table");
    const first = table.querySelector("thead th:first-child");
    const last = table.querySelector("thead th:last-child");
    check(
        rtl ? center(first) > center(last) : center(first) < center(last),
        `the ticket list is not ${rtl ? "mirrored" : "left to right"}`
    );
    // "text-end" ends the line where reading ends: on the left in right to left
    const status = table.querySelector("thead th.text-end");
    const align = getComputedStyle(status).textAlign;
    check(align === (rtl ? "left" : "right"), `the status column is aligned ${align}`);
}

function checkTicketMirrored(rtl) {
    // the sidebar (status, close button) sits before the content: on the right in right to left
    const sidebar = document.querySelector("#sidebar_content");
    const content = document.querySelector("#ticket_content");
    check(
        rtl ? center(sidebar) > center(content) : center(sidebar) < center(content),
        `the ticket page is not ${rtl ? "mirrored" : "left to right"}`
    );
    // "pe-lg-4" pads the end of the sidebar: its left side in right to left
    const style = getComputedStyle(sidebar);
    const [start, end] = rtl ? [style.paddingRight, style.paddingLeft] : [style.paddingLeft, style.paddingRight];
    check(parseFloat(end) > 0 && parseFloat(start) === 0, `the sidebar is padded ${start} / ${end}`);
}

function languageTour({ rtl, subject, texts, reply }) {
    return {
        url: "/my/tickets",
        steps: () => [
            {
                content: "The ticket list is in the customer's language",
                trigger: `table.o_portal_my_doc_table thead th:contains(${texts.number})`,
            },
            {
                content: "The customer's ticket is listed",
                trigger: `tr.o_helpdesk_ticket_row a:contains(${subject})`,
            },
            {
                content: "The list has the language's direction",
                trigger: `html[dir=${rtl ? "rtl" : "ltr"}] table.o_portal_my_doc_table`,
                run() {
                    checkDirection(rtl);
                    checkListMirrored(rtl);
                },
            },
            {
                content: "Open the ticket",
                trigger: `tr.o_helpdesk_ticket_row a:contains(${subject})`,
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "The ticket page is in the customer's language",
                trigger: `#ticket_content h5:contains(${texts.description})`,
            },
            {
                content: "The conversation heading is translated",
                trigger: `#ticket_chat h4:contains(${texts.conversation})`,
            },
            {
                content: "The agent's reply is shown",
                trigger: `#chatterRoot:shadow .o-mail-Message:contains(${reply})`,
            },
            {
                content: "The ticket page has the language's direction",
                trigger: `html[dir=${rtl ? "rtl" : "ltr"}] .o_helpdesk_subject:contains(${subject})`,
                run() {
                    checkDirection(rtl);
                    checkTicketMirrored(rtl);
                },
            },
        ],
    };
}

registry.category("web_tour.tours").add(
    "helpdesk_portal_persian_tour",
    languageTour({
        rtl: true,
        subject: "فراموشی رمز عبور",
        texts: { number: "شماره", description: "شرح", conversation: "گفتگو" },
        reply: "حساب شما باز شد",
    })
);

registry.category("web_tour.tours").add(
    "helpdesk_portal_thai_tour",
    languageTour({
        rtl: false,
        subject: "ลืมรหัสผ่าน",
        texts: { number: "หมายเลข", description: "คำอธิบาย", conversation: "การสนทนา" },
        reply: "ส่งลิงก์รีเซ็ตรหัสผ่านใหม่",
    })
);
