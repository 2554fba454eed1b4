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
        for addon in _addons_with_template():
            template = polib.pofile(str(REPO / addon / "i18n" / f"{addon}.pot"))
            for lang, (_code, plural_forms) in LANGS.items():
                path = REPO / addon / "i18n" / f"{lang}.po"
                with self.subTest(file=f"{addon}/i18n/{lang}.po"):
                    po = polib.pofile(str(path))  # raises on a syntax error
                    self.assertEqual(po.metadata.get("Language"), lang)
                    self.assertEqual(po.metadata.get("Plural-Forms"), plural_forms)
                    self.assertIn("charset=UTF-8", po.metadata.get("Content-Type", ""))
                    self.assertFalse([e.msgid for e in po if "fuzzy" in e.flags], "fuzzy entries")
                    self.assertFalse([e.msgid for e in po if not e.obsolete and not e.msgstr], "untranslated entries")
                    translated = {e.msgid: e for e in po if not e.obsolete}
                    missing = [e.msgid for e in template if e.msgid not in translated]
                    self.assertFalse(missing, f"terms of {addon}.pot missing from {lang}.po")
                    for term in template:
                        msgstr = translated[term.msgid].msgstr
                        self.assertEqual(
                            sorted(PLACEHOLDER.findall(term.msgid)), sorted(PLACEHOLDER.findall(msgstr)),
                            f"placeholders differ: {term.msgid!r} -> {msgstr!r}",
                        )
                        self.assertEqual(
                            sorted(TAG.findall(term.msgid)), sorted(TAG.findall(msgstr)),
                            f"HTML tags differ: {term.msgid!r} -> {msgstr!r}",
                        )
                        self.assertEqual(
                            sorted(QWEB_ATTRIBUTE.findall(term.msgid)), sorted(QWEB_ATTRIBUTE.findall(msgstr)),
                            f"QWeb attributes differ: {term.msgid!r} -> {msgstr!r}",
                        )
                        self.assertEqual(
                            _edges(term.msgid), _edges(msgstr),
                            f"leading/trailing whitespace differs: {term.msgid!r} -> {msgstr!r}",
                        )

    def test_placeholder_check_catches_a_lost_placeholder(self):
        # the check above can fail: a translation that drops %(count)s is reported
        self.assertNotEqual(
            sorted(PLACEHOLDER.findall("You can attach at most %(count)s files.")),
            sorted(PLACEHOLDER.findall("คุณแนบไฟล์ได้หลายไฟล์")),
        )


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

    def test_python_strings_are_translated(self):
        # strings of the Python code (self.env._ / _()) are read from the .po files
        for addon in self.modules.mapped("name"):
            for code, _plural in LANGS.values():
                translations = code_translations.get_python_translations(addon, code)
                po = polib.pofile(str(REPO / addon / "i18n" / f"{code.split('_')[0]}.po"))
                code_terms = [e for e in po if "odoo-python" in (e.comment or "")]
                for entry in code_terms:
                    with self.subTest(addon=addon, lang=code, term=entry.msgid):
                        self.assertEqual(translations.get(entry.msgid), entry.msgstr)
        translations = code_translations.get_python_translations("helpdesk_ticket", "th_TH")
        self.assertEqual(translations.get("Assigned to %s."), "มอบหมายให้ %s แล้ว")
