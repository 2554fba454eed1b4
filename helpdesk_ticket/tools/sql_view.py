"""Helper for the reporting models that are SQL views (``_auto = False``)."""
from odoo.tools import SQL, drop_view_if_exists


def create_view(cr, name, query):
    """(Re)create the view ``name`` as ``query`` (an ``SQL`` object).

    The view is dropped first so that its columns may change between versions
    (``CREATE OR REPLACE VIEW`` cannot remove or retype a column)."""
    drop_view_if_exists(cr, name)
    cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(name), query))
