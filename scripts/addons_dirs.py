"""The addons folders every launcher passes to Odoo (before this repository's folder).

An explicit ``--addons-path`` replaces Odoo's default, so it lists:

1. Odoo's own folders (``<source>/addons`` and ``<source>/odoo/addons``);
2. every other ``odoo/addons`` folder on ``sys.path`` that holds an addon
   (``*/__manifest__.py``): addons installed with pip as ``odoo-addon-*`` wheels, e.g. OCA's
   ``mail_gateway`` and its connectors (requirements-test.txt, setup.py extra ``gateway``).

Used by scripts/common.sh (``odoo_addons_dirs``) and tests/odoo_server.py; run as a script it
prints the folders comma-separated.
"""
import glob
import os
import sys


def odoo_addons_dirs(exclude=()):
    import odoo  # noqa: PLC0415 - Odoo must be importable (scripts/common.sh checks it)

    package = os.path.dirname(os.path.abspath(odoo.__file__))
    candidates = [os.path.join(os.path.dirname(package), "addons"), os.path.join(package, "addons")]
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            candidates.append(os.path.join(os.path.abspath(entry), "odoo", "addons"))
    skip = {os.path.realpath(path) for path in exclude}
    dirs, seen = [], set()
    for index, path in enumerate(candidates):
        real = os.path.realpath(path)
        if real in seen or real in skip or not os.path.isdir(path):
            continue
        # Odoo's own folders always; other folders only when they hold an addon
        if index >= 2 and not glob.glob(os.path.join(path, "*", "__manifest__.py")):
            continue
        seen.add(real)
        dirs.append(path)
    return dirs


if __name__ == "__main__":
    print(",".join(odoo_addons_dirs(exclude=sys.argv[1:])))
