"""Where the time of one mail's intake goes, per phase of Odoo's mail gateway, for the
helpdesk and for OCA helpdesk_mgmt (or the CRM) on the databases of a kept bench run.

    KEEP_DB=1 BENCH_ONLY=intake make bench        # prints "kept: <work folder> (databases A B ...)"
    python3 -m bench.profile_intake <work folder>/odoo.conf ours=<db> oca=<db_oca> [--mails 100]

Each system receives the same mails as ``make bench`` (half new requests, half replies,
one transaction each) under cProfile; the table gives the profiled milliseconds per mail
of each phase, from the cumulative time of the functions that make it:

* parse: ``mail.thread.message_parse`` (Odoo's, the same code for every system);
* route: ``message_route`` (Odoo's alias, reply and bounce checks; author look-up);
* post: ``message_post`` of the mail on its record, without the record's creation;
* create: ``message_new`` (the record's creation with everything it triggers);
* commit: the commit ending each mail (flush, post-commit hooks);
* total: the whole ``message_process`` plus the commit.

A profile slows Python down more than SQL: compare the systems with each other in one
run, not with the mails/s of ``make bench``."""
import argparse
import cProfile
import pstats
import uuid

from . import common
from .bench_intake import build_mails, process_mails

ALIASES = {"ours": "support@bench.example.com", "oca": "support@bench.example.com",
           "crm": "sales@bench.example.com"}

PHASES = [
    ("parse", ("addons/mail/models/mail_thread.py", "message_parse")),
    ("route", ("addons/mail/models/mail_thread.py", "message_route")),
    ("post", ("addons/mail/models/mail_thread.py", "message_post")),
    ("create", ("addons/mail/models/mail_thread.py", "_message_route_process")),
    ("commit", ("odoo/sql_db.py", "commit")),
]


def _cumulative(stats, path_end, function):
    """Cumulative seconds of the outermost calls of ``function`` defined in a file ending
    with ``path_end`` (the first in the stack for recursive or overridden calls)."""
    total = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name == function and filename.endswith(path_end):
            total = max(total, ct)
    return total


def profile(dbname, alias, mails_count):
    with common.environment(dbname) as env:
        tag = uuid.uuid4().hex[:8]
        process_mails(env, build_mails(10, alias, f"profile-warm-up-{tag}"))
        mails = build_mails(mails_count, alias, f"profile-{tag}")
        prof = cProfile.Profile()
        prof.enable()
        seconds, errors = process_mails(env, mails)
        prof.disable()
    stats = pstats.Stats(prof)
    figures = {name: _cumulative(stats, *where) * 1000 / mails_count for name, where in PHASES}
    # message_new runs inside _message_route_process, and so does message_post: the
    # creation is what the route processing spends outside the post
    figures["create"] -= figures["post"]
    figures["total"] = seconds * 1000 / mails_count
    figures["errors"] = errors
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conf")
    parser.add_argument("systems", nargs="+", help="system=database, system in ours, oca, crm")
    parser.add_argument("--mails", type=int, default=100)
    args = parser.parse_args()
    common.init_odoo(args.conf)
    rows = {}
    for item in args.systems:
        system, dbname = item.split("=", 1)
        rows[system] = profile(dbname, ALIASES[system], args.mails)
    names = [name for name, _where in PHASES] + ["total"]
    print("| phase (profiled ms per mail) | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{rows[s][name]:.1f}" for s in rows) + " |")
    for system, figures in rows.items():
        if figures["errors"]:
            print(f"warning: {system}: {figures['errors']} mails failed")


if __name__ == "__main__":
    main()
