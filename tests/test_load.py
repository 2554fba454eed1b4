"""Load with several Odoo workers: portal submissions and mails at the same time, while
the SLA cron runs. Nothing lost, nothing duplicated, assignment balanced, one
acknowledgement per mail, no error reaching a client.

Figures are printed (``pytest -s`` or the make test log) and asserted.
"""
import collections
import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from load_drivers import (
    SlaCronDriver, assert_round_robin_balanced, deliver_mail, portal_writer_session, setup_helpdesk_for_load, share,
    submit_portal_tickets, ticket_figures,
)
from odoo_server import is_installed, make_mail

N_PORTAL = int(os.environ.get("HELPDESK_LOAD_PORTAL", 200))
N_MAIL = int(os.environ.get("HELPDESK_LOAD_MAIL", 200))
N_CUSTOMERS = 5
N_MAIL_SENDERS = 20
N_MAIL_CLIENTS = 3


@pytest.fixture(scope="module")
def load_setup(odoo_stack):
    server = odoo_stack.server
    if not is_installed(server, "helpdesk_mail_gateway"):
        pytest.skip("helpdesk_mail_gateway is not installed: no mail intake to load")
    setup = setup_helpdesk_for_load(server, "Load", f"load{uuid.uuid4().hex[:4]}", N_CUSTOMERS)
    return {"server": server, "stack": odoo_stack, **setup}


def test_load_portal_and_mail_with_sla_cron(load_setup):
    server = load_setup["server"]
    stack = load_setup["stack"]
    run_id = uuid.uuid4().hex[:8]
    log_offset = server.log_size()
    smtp_before = len(stack.smtp.messages())

    # -- clients --------------------------------------------------------------------------
    sessions = [(*portal_writer_session(server, login, password), login)
                for login, password in load_setup["customers"]]

    errors = []
    portal_results = []  # (ticket id, customer login)
    mail_results = []  # (ticket id, message id, sender)
    lock = threading.Lock()

    def report_error(text):
        with lock:
            errors.append(text)

    def portal_client(index):
        session, token, login = sessions[index]

        def on_ticket(ticket_id):
            with lock:
                portal_results.append((ticket_id, login))

        submit_portal_tickets(
            session, token, load_setup["dept_portal"], share(N_PORTAL, N_CUSTOMERS, index),
            lambda i: (f"Load {run_id} portal {index}-{i}",
                       f"Printer {i} of customer {index} does not print.\nSecond line."),
            on_ticket, report_error, f"portal {index}",
        )

    def mail_client(index):
        for i in range(index, N_MAIL, N_MAIL_CLIENTS):
            sender = f"Sender {i % N_MAIL_SENDERS} <load.sender{i % N_MAIL_SENDERS}@mail-customers.example>"
            raw, message_id = make_mail(
                load_setup["alias"], sender, f"Load {run_id} mail {i}",
                f"Hello,\nmail number {i} of the load test.\nRegards",
                message_id=f"<load-{run_id}-{i}@mail-customers.example>",
            )
            delivered, ticket_id = deliver_mail(server, raw, report_error, f"mail {i}")
            if delivered:
                with lock:
                    mail_results.append((ticket_id, message_id, sender))

    driver = SlaCronDriver.start_for(server, load_setup["sla_cron_id"])
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=N_CUSTOMERS + N_MAIL_CLIENTS) as pool:
        futures = [pool.submit(portal_client, i) for i in range(N_CUSTOMERS)]
        futures += [pool.submit(mail_client, i) for i in range(N_MAIL_CLIENTS)]
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    if driver:
        driver.stop()

    # -- what the database holds --------------------------------------------------------------
    departments = (load_setup["dept_portal"], load_setup["dept_mail"])
    returned_ids = [tid for tid, _login in portal_results] + [tid for tid, _mid, _s in mail_results]
    message_ids = [mid for _tid, mid, _s in mail_results]
    figures = ticket_figures(server, departments, f"Load {run_id} %", returned_ids, message_ids,
                             load_setup["agents"])
    rows, tickets = figures["rows"], figures["tickets"]
    lost, phantom = len(figures["lost"]), len(figures["phantom"])
    duplicates_returned = figures["duplicates_returned"]
    # numbers: unique per company over the whole table, gaps within the load's range
    number_dups, numbers, gaps = figures["number_dups"], figures["digits"], figures["gaps"]
    sequence = server.execute("ir.sequence", "search_read", [("code", "=", "helpdesk.ticket")],
                              fields=["implementation", "company_id"])
    balance, unassigned = figures["balance"], figures["unassigned"]

    # mail duplicates: each Message-Id stored once, on its ticket
    stored = figures["stored"]
    mail_duplicates = sum(count - 1 for count in stored.values() if count > 1)
    mails_lost = sum(1 for mid in message_ids if mid not in stored) + (N_MAIL - len(mail_results))

    # acknowledgements: rendered by their job, woken by the transactions that created
    # the tickets and run by the cron workers on their own (nobody triggers it here)
    ack_wait_started = time.monotonic()
    while (acks_pending := server.query("SELECT count(*) FROM helpdesk_ticket WHERE ack_pending")[0][0]) \
            and time.monotonic() - ack_wait_started < 180:
        time.sleep(1)
    ack_wait = time.monotonic() - ack_wait_started

    # acknowledgements: one per mail ticket, posted and sent
    mail_ticket_ids = [tid for tid, _mid, _s in mail_results]
    ack_template = server.ref("helpdesk_mail_gateway.mail_template_ticket_acknowledgement")
    ack_posts = collections.Counter(dict(server.query(
        """SELECT res_id, count(*) FROM mail_message
            WHERE model = 'helpdesk.ticket' AND res_id IN %s AND message_type = 'auto_comment'
            GROUP BY res_id""",
        [tuple(mail_ticket_ids) or (0,)],
    ) or []))
    acks_missing = sum(1 for tid in mail_ticket_ids if ack_posts.get(tid, 0) == 0)
    acks_twice = sum(1 for tid in mail_ticket_ids if ack_posts.get(tid, 0) > 1)
    portal_acks = server.query(
        """SELECT count(*) FROM mail_message WHERE model = 'helpdesk.ticket' AND res_id IN %s
            AND message_type = 'auto_comment'""",
        [tuple(tid for tid, _l in portal_results) or (0,)],
    )[0][0]
    # send the queue to the SMTP sink and count what each customer received per ticket
    server.flush_mail_queue()
    received = collections.Counter()
    number_by_id = {row[0]: row[1] for row in rows}
    sent_messages = [message for _f, _t, message in stack.smtp.messages()[smtp_before:]]
    senders = {re.search(r"<(.+)>", sender).group(1) for _t, _m, sender in mail_results}
    by_subject_token = collections.defaultdict(list)
    bounces = 0
    for message in sent_messages:
        subject = str(message.get("Subject", ""))
        token = re.match(r"\[([^\]]+)\]", subject)
        if token:
            by_subject_token[token.group(1)].append(message)
        elif any(address in str(message.get("To", "")) for address in senders):
            bounces += 1  # a mail to a customer that is not about a ticket: a bounce
    for tid, _mid, sender in mail_results:
        address = re.search(r"<(.+)>", sender).group(1)
        received[tid] = sum(1 for message in by_subject_token.get(number_by_id.get(tid), [])
                            if address in str(message.get("To", "")))
    acks_not_received = sum(1 for tid in mail_ticket_ids if received[tid] == 0)
    acks_received_twice = sum(1 for tid in mail_ticket_ids if received[tid] > 1)
    failed_mail_details = server.query(
        "SELECT mm.id, m.subject, mm.email_to, mm.failure_type, left(mm.failure_reason, 300) FROM mail_mail mm "
        "JOIN mail_message m ON m.id = mm.mail_message_id WHERE mm.state = 'exception'"
    ) or []
    failed_mails = len(failed_mail_details)

    # SLA lines: one first-response line per ticket, whatever the concurrency
    sla_missing = sla_dup = 0
    sla_runs = 0
    if load_setup["sla_cron_id"]:
        line_counts = dict(server.query(
            """SELECT ticket_id, count(*) FROM helpdesk_ticket_sla
                WHERE ticket_id IN %s AND target = 'first_response' GROUP BY ticket_id""",
            [tuple(tickets) or (0,)],
        ) or [])
        sla_missing = sum(1 for tid in tickets if not line_counts.get(tid))
        sla_dup = sum(1 for count in line_counts.values() if count > 1)

    log = server.log_since(log_offset)
    log_errors, retries = server.classify_log(log)
    sla_runs = len(re.findall(r"Job 'Helpdesk: SLA breaches[^']*' \(\d+\) done", log))

    print(f"\n[load] {N_PORTAL} portal + {N_MAIL} mails in {elapsed:.1f}s with 4 workers")
    print(f"[load] tickets={len(tickets)} (expected {N_PORTAL + N_MAIL}) lost={lost} phantom={phantom} "
          f"duplicates={duplicates_returned + len(number_dups)} client_errors={len(errors)}")
    print(f"[load] numbers {numbers[:1]}..{numbers[-1:]} unique={len(set(numbers)) == len(numbers)} "
          f"gaps={len(gaps)} sequence={[s['implementation'] for s in sequence]} retries_logged={retries}")
    print(f"[load] round robin per department: {balance} unassigned={unassigned}")
    print(f"[load] mails: lost={mails_lost} duplicate_messages={mail_duplicates}; acknowledgements: "
          f"missing={acks_missing} twice={acks_twice} not_received={acks_not_received} "
          f"received_twice={acks_received_twice} bounces_to_customers={bounces} portal_auto={portal_acks} "
          f"failed_mail={failed_mails} pending_after_{ack_wait:.0f}s={acks_pending}")
    if load_setup["sla_cron_id"]:
        print(f"[load] SLA cron: triggers={driver.triggers} busy={driver.busy} runs_logged={sla_runs} lines_missing={sla_missing} "
              f"lines_duplicated={sla_dup} driver_errors={len(driver.errors)}")
    print(f"[load] server errors logged={len(log_errors)}")
    for line in (errors + log_errors)[:15]:
        print("[load]   ", line[:400])

    assert not errors, f"{len(errors)} errors reached a client"
    assert len(tickets) == N_PORTAL + N_MAIL
    assert lost == phantom == duplicates_returned == 0
    assert not number_dups, f"duplicate ticket numbers: {number_dups}"
    assert len(set(numbers)) == len(numbers) == N_PORTAL + N_MAIL
    if all(s["implementation"] == "no_gap" for s in sequence):
        assert not gaps, f"numbers missing in a gap-free sequence: {gaps[:20]}"
    assert_round_robin_balanced(figures)
    assert mails_lost == mail_duplicates == 0
    assert acks_pending == 0, "the acknowledgement job did not run on the cron workers"
    assert acks_missing == acks_twice == 0
    assert acks_not_received == acks_received_twice == 0
    assert bounces == 0, "customers received bounces for mails that did become tickets"
    assert failed_mails == 0, f"outgoing mails in exception: {failed_mail_details}"
    assert sla_missing == sla_dup == 0
    assert not (driver and driver.errors), driver and driver.errors[:3]
    assert not log_errors, log_errors[:5]
    # the same mails delivered again (an MTA retrying after a timeout): no new ticket
    redelivery_errors = []
    for _tid, mid, sender in mail_results[:10]:
        try:
            server.process_mail(make_mail(load_setup["alias"], sender, f"Load {run_id} mail {_tid} again", "again",
                                          message_id=mid)[0])
        except Exception as error:  # noqa: BLE001 - the MTA would see a failure and retry forever
            redelivery_errors.append(str(error)[-200:])
    count_after = server.query(
        "SELECT count(*) FROM helpdesk_ticket WHERE department_id IN %s AND name LIKE %s",
        [departments, f"Load {run_id} %"],
    )[0][0]
    print(f"[load] redelivered 10 mails: tickets {count_after} (duplicates={count_after - len(tickets)}) "
          f"errors={len(redelivery_errors)} {redelivery_errors[:1]}")
    assert count_after == len(tickets)
    assert not redelivery_errors, "a duplicate delivery must succeed (ignored), or the MTA retries it forever"


def test_stack_uses_several_workers(odoo_stack):
    """The server really runs 4 HTTP workers and 2 cron workers (prefork mode)."""
    server = odoo_stack.server
    http_workers = server.worker_processes("WorkerHTTP")
    cron_workers = server.worker_processes("WorkerCron")
    print(f"\n[load] workers: http={len(http_workers)} cron={len(cron_workers)}")
    assert len(http_workers) >= 4
    assert len(cron_workers) == 2
