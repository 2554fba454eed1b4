#!/usr/bin/env python3
"""Pipe one mail from the MTA into Odoo's mail gateway (Python 3, standard library only).

Postfix /etc/aliases example:

    support: "|/usr/local/bin/helpdesk-mailgate.py --url https://odoo.mycompany.com --db helpdesk
              --uid 2 --key-file /etc/odoo/mailgate.key"   (on one line)

The mail is read from stdin and given to ``mail.thread.message_process`` over XML-RPC.
Exit status: 0 when Odoo accepted the mail (a ticket, a message, or a duplicate / bounce /
loop that Odoo ignores on purpose); 75 (EX_TEMPFAIL) when Odoo could not be reached or
refused the mail, so that the MTA keeps it in its queue and tries again later instead of
losing it.
"""
import argparse
import sys
import xmlrpc.client

EX_TEMPFAIL = 75


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069", help="Odoo base URL")
    parser.add_argument("--db", required=True, help="database name")
    parser.add_argument("--uid", type=int, required=True, help="id of the user running the gateway")
    parser.add_argument("--key-file", required=True, help="file holding that user's API key")
    parser.add_argument("--model", default="helpdesk.ticket",
                        help="model of the record created when no address matches (default: helpdesk.ticket)")
    args = parser.parse_args(argv)
    raw = sys.stdin.buffer.read()
    try:
        with open(args.key_file, encoding="utf-8") as handle:
            key = handle.read().strip()
        models = xmlrpc.client.ServerProxy(f"{args.url.rstrip('/')}/xmlrpc/2/object", allow_none=True)
        models.execute_kw(args.db, args.uid, key, "mail.thread", "message_process",
                          [args.model, xmlrpc.client.Binary(raw)])
    except Exception as error:  # noqa: BLE001 - every failure must keep the mail in the MTA queue
        print(f"helpdesk-mailgate: mail kept for a new attempt: {error}", file=sys.stderr)
        return EX_TEMPFAIL
    return 0


if __name__ == "__main__":
    sys.exit(main())
