"""The Apps page description of every addon of the repository renders without warnings.

An addon without ``static/description/index.html`` is described by its manifest's
``description``, else by its README, which Odoo renders as reStructuredText: a Markdown
README gives docutils' warnings in the log at every install. A short description in the
manifest (plain text, valid reStructuredText) avoids them.
"""
from pathlib import Path

from odoo.tests import TransactionCase, tagged

REPO = Path(__file__).resolve().parent.parent


@tagged("post_install", "-at_install")
class TestModuleDescriptions(TransactionCase):

    def test_descriptions_render_without_warnings(self):
        names = sorted(path.parent.name for path in REPO.glob("*/__manifest__.py"))
        modules = self.env["ir.module.module"].search([("name", "in", names), ("state", "=", "installed")])
        self.assertIn("helpdesk_ticket", modules.mapped("name"))
        with self.assertNoLogs("odoo.addons.base.models.ir_module", level="WARNING"):
            for module in modules:
                self.assertTrue(module.description_html is not None, module.name)

    def test_a_markdown_readme_would_warn(self):
        # the check above can fail: a Markdown README as description gives docutils' warnings
        module = self.env["ir.module.module"].search([("name", "=", "helpdesk_ticket")])
        module.description = "# Title\n\n- **a list**\n  continued\n- `code`\n```\nblock\n```\n    indented\nnot"
        module.application = False
        with self.assertLogs("odoo.addons.base.models.ir_module", level="WARNING"):
            module.invalidate_recordset(["description_html"])
            _html = module.description_html
