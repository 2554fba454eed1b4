"""Odoo's command line, the way every part of this repository starts Odoo.

    python3 scripts/odoo_launcher.py -c odoo.conf -d DB --workers=2 ...

Same as ``python3 -m odoo`` (it imports the ``odoo`` package of the interpreter
that runs it and calls ``odoo.cli.main``), so it works wherever
``python3 -m odoo --version`` works. The difference: Odoo's prefork server
(``--workers``) starts its gevent (websocket) process, and re-executes itself
after an upgrade, by running ``sys.executable sys.argv[0] ...``. Under
``python3 -m odoo``, ``sys.argv[0]`` is ``odoo/__main__.py``, which cannot run as a
file (relative import), so the gevent process dies at start and is respawned in
a loop. This file can, so the re-execution works; nothing depends on the
``odoo`` console script (whose ``pkg_resources`` check fails on some machines).

Only ``os``/``sys`` are imported before ``odoo``: in the gevent process Odoo
monkey-patches the standard library when ``odoo`` is imported (``sys.argv[1] ==
"gevent"``), which must happen before ``socket``/``ssl``/``threading`` are loaded.
Python code starts servers through scripts/odoo_process.py, the shell scripts
through ``$ODOO`` of scripts/common.sh; both run this file.
"""
import os
import sys

if __name__ == "__main__":
    # run as a file, Python put this folder first on sys.path: Odoo needs nothing from it
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    import odoo.cli

    sys.exit(odoo.cli.main())
