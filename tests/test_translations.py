"""Thai and Persian translations of every addon of the repository.

For each addon with an ``i18n/<addon>.pot`` template, ``th.po`` and ``fa.po`` must parse,
be complete (every term of the template translated, nothing fuzzy or empty) and keep the
placeholders, HTML tags and QWeb attributes of each term; then Odoo itself loads them into
the database and the translated records, field labels and Python strings come out in
Thai and Persian.
"""
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import code_translations

REPO = Path(__file__).resolve().parent.parent
LANGS = {
    # po file: (Odoo language code, expected Plural-Forms)
    "th": ("th_TH", "nplurals=1; plural=0;"),
    "fa": ("fa_IR", "nplurals=2; plural=(n > 1);"),
}
# %s, %(name)s, {{ expression }}, {} (format)
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{\{.*?\}\}|\{\}")
TAG = re.compile(r"</?([a-zA-Z][\w-]*)")
QWEB_ATTRIBUTE = re.compile(r"\bt-[\w-]+=\"[^\"]*\"")


def _addons_with_template():
    return sorted(
        path.parent.name
        for path in REPO.glob("*/__manifest__.py")
        if (path.parent / "i18n" / f"{path.parent.name}.pot").is_file()
    )


def _edges(text):
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]


def _header_problems(name, po, lang, plural_forms):
    problems = []
    if po.metadata.get("Language") != lang:
        problems.append(f"{name}: Language header is {po.metadata.get('Language')!r}")
    if po.metadata.get("Plural-Forms") != plural_forms:
        problems.append(f"{name}: Plural-Forms header is {po.metadata.get('Plural-Forms')!r}")
    if "charset=UTF-8" not in po.metadata.get("Content-Type", ""):
        problems.append(f"{name}: Content-Type is not UTF-8")
    return problems


def _term_problems(name, msgid, msgstr):
    problems = []
    for label, pattern in (("placeholders", PLACEHOLDER), ("HTML tags", TAG), ("QWeb attributes", QWEB_ATTRIBUTE)):
        if sorted(pattern.findall(msgid)) != sorted(pattern.findall(msgstr)):
            problems.append(f"{name}: {label} differ in {msgid!r} -> {msgstr!r}")
    if _edges(msgid) != _edges(msgstr):
        problems.append(f"{name}: leading/trailing whitespace differs in {msgid!r} -> {msgstr!r}")
    return problems


@tagged("post_install", "-at_install", "helpdesk_translations")
class TestTranslationFiles(TransactionCase):
    """The .po files themselves (no database involved)."""

    def test_every_addon_has_thai_and_persian(self):
        addons = _addons_with_template()
        self.assertIn("helpdesk_ticket", addons)
        for addon in addons:
            for lang in LANGS:
                self.assertTrue((REPO / addon / "i18n" / f"{lang}.po").is_file(), f"{addon}: {lang}.po is missing")

    def test_po_files_are_complete_and_consistent(self):
        problems = []
        for addon in _addons_with_template():
            template = polib.pofile(str(REPO / addon / "i18n" / f"{addon}.pot"))
            for lang, (_code, plural_forms) in LANGS.items():
                name = f"{addon}/i18n/{lang}.po"
                po = polib.pofile(str(REPO / addon / "i18n" / f"{lang}.po"))  # raises on a syntax error
                problems += _header_problems(name, po, lang, plural_forms)
                translated = {e.msgid: e for e in po if not e.obsolete}
                for entry in po:
                    if "fuzzy" in entry.flags:
                        problems.append(f"{name}: fuzzy entry {entry.msgid!r}")
                    if not entry.obsolete and not entry.msgstr:
                        problems.append(f"{name}: untranslated {entry.msgid!r}")
                for term in template:
                    if term.msgid not in translated:
                        problems.append(f"{name}: missing {term.msgid!r}")
                    elif translated[term.msgid].msgstr:
                        problems += _term_problems(name, term.msgid, translated[term.msgid].msgstr)
        self.assertFalse(problems, "\n".join(problems))

    def test_checks_catch_broken_translations(self):
        # the checks above can fail: lost placeholder, tag, QWeb attribute or whitespace
        self.assertTrue(_term_problems("x", "You can attach at most %(count)s files.", "แนบได้หลายไฟล์"))
        self.assertTrue(_term_problems("x", "<strong>Type:</strong>", "ประเภท:"))
        self.assertTrue(_term_problems("x", '<p t-if="a">Hi</p>', "<p>สวัสดี</p>"))
        self.assertTrue(_term_problems("x", "files of ", "ไฟล์ ขนาด"))
        self.assertFalse(_term_problems("x", "Assigned to %s.", "มอบหมายให้ %s แล้ว"))


@tagged("post_install", "-at_install", "helpdesk_translations")
class TestTranslationLoading(TransactionCase):
    """Odoo loads the files: records, field labels, views and Python strings are translated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = cls.env["ir.module.module"].search(
            [("name", "in", _addons_with_template()), ("state", "=", "installed")]
        )
        for code, _plural in LANGS.values():
            cls.env["res.lang"]._activate_lang(code)

    def test_odoo_loads_thai_and_persian(self):
        self.assertIn("helpdesk_ticket", self.modules.mapped("name"))
        with self.assertNoLogs("odoo.tools.translate", level="ERROR"):
            self.modules._update_translations([code for code, _plural in LANGS.values()], overwrite=True)
        self.env.invalidate_all()

        stage = self.env.ref("helpdesk_ticket.stage_new")
        self.assertEqual(stage.with_context(lang="en_US").name, "New")
        self.assertEqual(stage.with_context(lang="th_TH").name, "ใหม่")
        self.assertEqual(stage.with_context(lang="fa_IR").name, "جدید")

        self.assertEqual(
            self.env["helpdesk.ticket"]._fields["department_id"]._description_string(
                self.env(context={"lang": "th_TH"})
            ),
            "แผนก",
        )
        self.assertEqual(
            self.env["helpdesk.ticket"]._fields["department_id"]._description_string(
                self.env(context={"lang": "fa_IR"})
            ),
            "دپارتمان",
        )

        menu = self.env.ref("helpdesk_ticket.menu_helpdesk_root")
        self.assertEqual(menu.with_context(lang="fa_IR").name, "میز خدمت")
        if "helpdesk_reports" in self.modules.mapped("name"):
            # a menu of one addon under another addon's folder is translated by its own addon
            menu = self.env.ref("helpdesk_reports.menu_helpdesk_reporting_tickets")
            self.assertEqual(menu.with_context(lang="th_TH").name, "การวิเคราะห์ตั๋ว")

    def test_python_strings_are_translated(self):
        # strings of the Python code (self.env._ / _()) are read from the .po files
        problems = []
        for addon in self.modules.mapped("name"):
            for lang, (code, _plural) in LANGS.items():
                translations = code_translations.get_python_translations(addon, code)
                po = polib.pofile(str(REPO / addon / "i18n" / f"{lang}.po"))
                for entry in po:
                    if "odoo-python" in (entry.comment or "") and translations.get(entry.msgid) != entry.msgstr:
                        problems.append(f"{addon} {code}: {entry.msgid!r} is not translated")
        self.assertFalse(problems, "\n".join(problems))
        translations = code_translations.get_python_translations("helpdesk_ticket", "th_TH")
        self.assertEqual(translations.get("Assigned to %s."), "มอบหมายให้ %s แล้ว")
