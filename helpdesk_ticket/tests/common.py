from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests.common import BaseCase, TransactionCase, get_db_name, new_test_user

#: the languages of the product's first users
LANGS = ["th_TH", "fa_IR"]


def activate_languages(env, modules, langs=LANGS):
    """Activate ``langs`` and load the translations of the installed ``modules``
    (their i18n/th.po and fa.po), as Settings > Languages does."""
    for code in langs:
        env["res.lang"]._activate_lang(code)
    env["ir.module.module"].search([("name", "in", list(modules)), ("state", "=", "installed")])._update_translations(
        list(langs)
    )


class CommittedCase(BaseCase):
    """Tests that work in real, separate, committed transactions (two workers or a
    worker and a cron at once): each ``_cursor()`` is a new connection."""

    def _cursor(self):
        return db_connect(get_db_name()).cursor()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _job(self, cr, **kwargs):
        """One run of the job under test, in ``cr``: the number of items it did."""
        raise NotImplementedError

    def _drain(self):
        """Run the job until the work already waiting in the database (demo data)
        is done, each run committed as a cron worker would."""
        with self._cursor() as cr:
            while self._job(cr):
                cr.commit()


class HelpdeskCommon(TransactionCase):
    """Departments, agents, a manager and customers shared by the helpdesk tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_create_nolog=False))
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env, login="hd_test_manager", name="Helen Manager",
            groups="helpdesk_ticket.group_helpdesk_manager", email="helen@example.com",
        )
        cls.agent_a = new_test_user(
            cls.env, login="hd_test_agent_a", name="Alice Agent",
            groups="helpdesk_ticket.group_helpdesk_agent", email="alice@example.com",
        )
        cls.agent_a2 = new_test_user(
            cls.env, login="hd_test_agent_a2", name="Arthur Agent",
            groups="helpdesk_ticket.group_helpdesk_agent", email="arthur@example.com",
        )
        cls.agent_b = new_test_user(
            cls.env, login="hd_test_agent_b", name="Bob Agent",
            groups="helpdesk_ticket.group_helpdesk_agent", email="bob@example.com",
        )
        cls.department_a = cls.env["helpdesk.department"].create({
            "name": "Test Support A",
            "member_ids": [Command.set([cls.agent_a.id, cls.agent_a2.id])],
            "manager_id": cls.manager.id,
        })
        cls.department_b = cls.env["helpdesk.department"].create({
            "name": "Test Billing B",
            "member_ids": [Command.set([cls.agent_b.id])],
            "visibility": "members",
        })
        cls.customer_company = cls.env["res.partner"].create({
            "name": "Customer Corp", "is_company": True, "email": "info@customer-corp.example",
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Carla Customer", "email": "carla@customer-corp.example",
            "parent_id": cls.customer_company.id,
        })
        cls.customer_colleague = cls.env["res.partner"].create({
            "name": "Colin Colleague", "email": "colin@customer-corp.example",
            "parent_id": cls.customer_company.id,
        })
        cls.other_customer = cls.env["res.partner"].create({
            "name": "Oscar Outsider", "email": "oscar@elsewhere.example",
        })
        cls.stage_new = cls.env.ref("helpdesk_ticket.stage_new")
        cls.stage_progress = cls.env.ref("helpdesk_ticket.stage_in_progress")
        cls.stage_waiting = cls.env.ref("helpdesk_ticket.stage_waiting_customer")
        cls.stage_resolved = cls.env.ref("helpdesk_ticket.stage_resolved")
        cls.stage_cancelled = cls.env.ref("helpdesk_ticket.stage_cancelled")

    def run_assignment_notices(self):
        """Commit-time hooks, then the assignment notice job, as a cron worker runs it
        once the transaction that assigned the tickets has committed."""
        self.cr.flush()
        done = 0
        while batch := self.env["helpdesk.ticket"]._cron_send_assignment_notices():
            done += batch
        self.cr.flush()
        return done

    @classmethod
    def _create_ticket(cls, **values):
        vals = {
            "name": "Printer is on fire",
            "department_id": cls.department_a.id,
            "partner_id": cls.customer.id,
        }
        vals.update(values)
        return cls.env["helpdesk.ticket"].create(vals)

    @classmethod
    def _create_kb_articles(cls, hidden_department):
        """Knowledge-base articles of the search and portal tests; demo articles are
        unpublished first so that they do not interfere with the suggestions.

        ``article_thai`` and ``article_persian``: published, department A;
        ``article_draft``: department A, not published; ``article_hidden_department``:
        published, of ``hidden_department`` (not published on the portal)."""
        Article = cls.env["helpdesk.article"]
        Article.search([("is_published", "=", True)]).write({"is_published": False})
        cls.article_thai, cls.article_persian, cls.article_draft, cls.article_hidden_department = Article.create([
            {
                "name": "วิธีรีเซ็ตรหัสผ่านของคุณ",
                "body": "<p>ไปที่หน้าเข้าสู่ระบบแล้วกดลืมรหัสผ่าน</p>",
                "department_id": cls.department_a.id,
                "is_published": True,
            },
            {
                "name": "چگونه رمز عبور خود را بازنشانی کنم",
                "body": "<p>روی «فراموشی رمز عبور» کلیک کنید.</p>",
                "department_id": cls.department_a.id,
                "is_published": True,
            },
            {
                "name": "รีเซ็ตรหัสผ่าน ฉบับร่าง",
                "body": "<p>Draft answer</p>",
                "department_id": cls.department_a.id,
                "is_published": False,
            },
            {
                "name": "รีเซ็ตรหัสผ่าน ภายใน",
                "body": "<p>Internal only</p>",
                "department_id": hidden_department.id,
                "is_published": True,
            },
        ])

    @classmethod
    def _portal_user(cls, partner, login):
        # name and email given explicitly: new_test_user would otherwise rename the partner
        return new_test_user(
            cls.env, login=login, groups="base.group_portal", partner_id=partner.id,
            name=partner.name, email=partner.email,
        )
