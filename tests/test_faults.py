"""Faults with real processes: a worker killed in the middle of a ticket creation, and
PostgreSQL restarted while mails are taken in (IMAP and the mailgate XML-RPC entry).

Afterwards: no half-created ticket, no mail lost (what is still on the IMAP server is
processed by the next fetch; what the MTA could not deliver is delivered again), and no
duplicate ticket for a mail processed twice.
"""
import os
import signal
import threading
import time
import uuid

import psutil
import pytest

from odoo_server import WebSession, create_agents, create_portal_users, ensure_alias_domain, is_installed, make_mail


def orphans(server):
    """Rows pointing to tickets that do not exist (what a half-created ticket leaves)."""
    queries = {
        "messages": """SELECT count(*) FROM mail_message m WHERE m.model = 'helpdesk.ticket'
                        AND NOT EXISTS (SELECT 1 FROM helpdesk_ticket t WHERE t.id = m.res_id)""",
        "followers": """SELECT count(*) FROM mail_followers f WHERE f.res_model = 'helpdesk.ticket'
                         AND NOT EXISTS (SELECT 1 FROM helpdesk_ticket t WHERE t.id = f.res_id)""",
        "attachments": """SELECT count(*) FROM ir_attachment a WHERE a.res_model = 'helpdesk.ticket'
                           AND a.res_id IS NOT NULL AND a.res_id <> 0
                           AND NOT EXISTS (SELECT 1 FROM helpdesk_ticket t WHERE t.id = a.res_id)""",
        "tickets_without_number": "SELECT count(*) FROM helpdesk_ticket WHERE number IS NULL",
        "tickets_without_creation_message": """SELECT count(*) FROM helpdesk_ticket t WHERE NOT EXISTS (
                           SELECT 1 FROM mail_message m WHERE m.model = 'helpdesk.ticket' AND m.res_id = t.id)""",
    }
    return {name: server.query(sql)[0][0] for name, sql in queries.items()}


@pytest.fixture(scope="module")
def faults_setup(odoo_stack):
    server = odoo_stack.server
    if not is_installed(server, "helpdesk_mail_gateway"):
        pytest.skip("helpdesk_mail_gateway is not installed")
    domain = ensure_alias_domain(server)
    tag = f"faults{uuid.uuid4().hex[:4]}"
    agents = create_agents(server, tag, 2)
    department = server.execute("helpdesk.department", "create", {
        "name": "Faults", "assignment_method": "round_robin", "member_ids": [(6, 0, agents)],
        "portal_published": True, "alias_name": f"{tag}-intake",
    })
    (login, password), = create_portal_users(server, tag, 1)
    return {"server": server, "stack": odoo_stack, "department": department,
            "alias": f"{tag}-intake@{domain}", "login": login, "password": password}


def unseen(imap):
    return sum(1 for flags in imap.messages().values() if "\\Seen" not in flags)


def mark_all_unseen(imap):
    with imap.client() as client:
        client.store("1:*", "-FLAGS", "\\Seen")


def _wait_for(predicate, timeout=30, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timeout waiting for {message}")


def _wait_workers(server, count=4, timeout=60):
    _wait_for(lambda: len(server.worker_processes("WorkerHTTP")) >= count, timeout=timeout,
              message=f"{count} HTTP workers")
    server.wait_healthy(timeout=timeout)


@pytest.mark.parametrize("channel", ["portal", "mail"])
def test_worker_killed_mid_request(faults_setup, channel):
    """The worker creating a ticket is SIGKILLed while it waits for the department's
    assignment lock: nothing of the ticket remains; the client's retry creates exactly one."""
    server = faults_setup["server"]
    marker = f"Kill {channel} {uuid.uuid4().hex[:8]}"
    department = faults_setup["department"]
    if channel == "portal":
        session = WebSession(server).login(faults_setup["login"], faults_setup["password"])
        token = session.csrf("/my/tickets/new")
        data = {"csrf_token": token, "department_id": str(department), "subject": marker,
                "description": "Created while a worker dies."}

        def submit():
            response = session.post("/my/tickets/new", data=data, allow_redirects=False)
            assert response.status_code == 303, response.text[:500]
            return response
    else:
        raw, message_id = make_mail(faults_setup["alias"], "Killed Sender <killed.sender@customers.example>",
                                    marker, "Sent while a worker dies.")

        def submit():
            return server.process_mail(raw, retry=False)

    outcome = {}

    def first_attempt():
        try:
            outcome["result"] = submit()
        except Exception as error:  # noqa: BLE001 - the connection dies with the worker
            outcome["error"] = error

    # hold the department row: the worker creating the ticket blocks on its assignment lock
    blocker = server.cluster.connect(server.db, autocommit=False)
    try:
        with blocker.cursor() as cr:
            # FOR NO KEY UPDATE: the ticket row is inserted (its foreign key check passes), then
            # the worker waits in the assignment's FOR UPDATE of the department
            cr.execute("SELECT id FROM helpdesk_department WHERE id = %s FOR NO KEY UPDATE", [department])
            cr.execute("SELECT pg_backend_pid()")
            own_pid = cr.fetchone()[0]
            client = threading.Thread(target=first_attempt, daemon=True)
            client.start()

            def blocked_backend():
                rows = server.query(
                    """SELECT pid, client_port, query FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> %s""",
                    [own_pid],
                )
                if rows:
                    print(f"\n[faults] worker waiting on: {rows[0][2][:120]}")
                    return rows[0][:2]
                return rows[0] if rows else None

            backend_pid, client_port = _wait_for(blocked_backend, message="the worker to wait for the lock")
            worker = server.process_of_backend(client_port)
            assert worker is not None, "no Odoo process owns the blocked connection"
            http_pids = {proc.pid for proc in server.worker_processes("WorkerHTTP")}
            assert worker.pid in http_pids, f"{worker.pid} is not an HTTP worker ({http_pids})"
            os.kill(worker.pid, signal.SIGKILL)
            _wait_for(lambda: not psutil.pid_exists(worker.pid) or psutil.Process(worker.pid).status()
                      == psutil.STATUS_ZOMBIE, message="the worker to die")
            client.join(timeout=60)
        blocker.rollback()
    finally:
        blocker.close()
    # the killed worker's transaction is rolled back once PostgreSQL notices the dead client
    _wait_for(lambda: not server.query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend_pid]),
              message="the killed worker's backend to end")

    half = server.query("SELECT count(*) FROM helpdesk_ticket WHERE name = %s", [marker])[0][0]
    leftovers = orphans(server)
    print(f"\n[faults] worker {worker.pid} killed during a {channel} creation: client saw "
          f"{type(outcome.get('error')).__name__ if 'error' in outcome else 'a response'}; "
          f"tickets left={half}; orphans={leftovers}")
    assert "error" in outcome and not isinstance(outcome["error"], AssertionError), \
        f"the client should have seen the connection die, not {outcome}"
    assert half == 0, "the killed request left a ticket behind"
    assert not any(leftovers.values()), leftovers

    # the master replaces the worker; the client (customer, MTA) tries again
    _wait_workers(server)
    submit()
    created = server.query("SELECT count(*) FROM helpdesk_ticket WHERE name = %s", [marker])[0][0]
    if channel == "mail":
        submit()  # the MTA cannot know whether the first attempt went through: delivers twice
        stored = server.query("SELECT count(*) FROM mail_message WHERE message_id = %s", [message_id])[0][0]
        assert stored == 1
    created = server.query("SELECT count(*) FROM helpdesk_ticket WHERE name = %s", [marker])[0][0]
    print(f"[faults] after the retry: tickets={created} (duplicates={created - 1})")
    assert created == 1


def test_postgresql_restart_during_mail_intake(faults_setup):
    """PostgreSQL stops and starts while an IMAP fetch and mailgate deliveries run.

    Every mail ends up as exactly one ticket: mails left unseen on the IMAP server are taken
    by the next fetch, deliveries that failed are retried by the sender (like an MTA does),
    and mails processed twice are recognised."""
    stack = faults_setup["stack"]
    server = faults_setup["server"]
    imap = stack.start_imap()
    run = uuid.uuid4().hex[:8]
    n_imap, n_rpc = 30, 15
    # the MTA delivers to a second department: the two intakes do not compete for one
    # department's assignment
    rpc_tag = f"mta{run}"
    server.execute("helpdesk.department", "create", {
        "name": f"Faults MTA {run}", "assignment_method": "manual", "alias_name": rpc_tag,
    })
    rpc_alias = f"{rpc_tag}@{faults_setup['alias'].split('@', 1)[1]}"
    expected = {}
    for i in range(n_imap):
        raw, message_id = make_mail(
            faults_setup["alias"], f"Imap Customer {i % 7} <imap.customer{i % 7}@customers.example>",
            f"Restart {run} imap {i}", f"Mail {i} fetched from IMAP.\n" + "Line of text.\n" * 20,
            message_id=f"<restart-{run}-imap-{i}@customers.example>",
        )
        imap.append(raw)
        expected[message_id] = f"Restart {run} imap {i}"
    model_id = server.execute("ir.model", "search", [("model", "=", "helpdesk.ticket")])[0]
    fetch_server = server.execute("fetchmail.server", "create", imap.fetchmail_values(f"Faults IMAP {run}", model_id))
    server.execute("fetchmail.server", "button_confirm_login", [fetch_server])
    assert unseen(imap) == n_imap

    outcomes = {"fetch_errors": 0, "rpc_failures": 0}

    def fetch():
        try:
            server.execute("fetchmail.server", "fetch_mail", [fetch_server])
        except Exception:  # noqa: BLE001 - the database went away under the fetch
            outcomes["fetch_errors"] += 1

    rpc_mails = []
    for i in range(n_rpc):
        raw, message_id = make_mail(
            rpc_alias, f"Rpc Customer <rpc.customer{i % 5}@customers.example>",
            f"Restart {run} rpc {i}", f"Mail {i} delivered by the MTA.",
            message_id=f"<restart-{run}-rpc-{i}@customers.example>",
        )
        rpc_mails.append(raw)
        expected[message_id] = f"Restart {run} rpc {i}"

    def deliver_like_an_mta():
        for raw in rpc_mails:
            deadline = time.monotonic() + 180
            while True:
                try:
                    server.process_mail(raw)
                    break
                except Exception:  # noqa: BLE001 - temporary failure: the MTA retries later
                    outcomes["rpc_failures"] += 1
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)

    def count_done():
        try:
            return server.query("SELECT count(*) FROM helpdesk_ticket WHERE name LIKE %s", [f"Restart {run} %"])[0][0]
        except Exception:  # noqa: BLE001 - database restarting
            return 0

    fetcher = threading.Thread(target=fetch, daemon=True)
    mta = threading.Thread(target=deliver_like_an_mta, daemon=True)
    fetcher.start()
    mta.start()
    done_before = _wait_for(lambda: count_done() >= 3 and count_done(), timeout=300, interval=0.05,
                            message="the intake to start")
    server.cluster.restart(pause=2)
    fetcher.join(timeout=300)
    mta.join(timeout=300)
    assert not mta.is_alive() and not fetcher.is_alive()
    _wait_workers(server, timeout=120)

    # the next fetches take what is still unseen on the IMAP server
    fetches = 0
    while unseen(imap) and fetches < 5:
        server.execute("fetchmail.server", "fetch_mail", [fetch_server])
        fetches += 1
    unseen_left = unseen(imap)

    def tally():
        tickets = dict(server.query(
            "SELECT name, count(*) FROM helpdesk_ticket WHERE name LIKE %s GROUP BY name", [f"Restart {run} %"]))
        messages = dict(server.query(
            "SELECT message_id, count(*) FROM mail_message WHERE message_id IN %s GROUP BY message_id",
            [tuple(expected)]))
        lost = [mid for mid, name in expected.items() if not tickets.get(name) or not messages.get(mid)]
        duplicates = sum(c - 1 for c in tickets.values() if c > 1) + sum(c - 1 for c in messages.values() if c > 1)
        return tickets, lost, duplicates

    tickets, lost, duplicates = tally()
    leftovers = orphans(server)
    print(f"\n[faults] PostgreSQL restarted after {done_before} of {len(expected)} mails: fetch errors="
          f"{outcomes['fetch_errors']}, MTA retries={outcomes['rpc_failures']}, extra fetches={fetches}")
    print(f"[faults] tickets={sum(tickets.values())} lost mails={len(lost)} duplicates={duplicates} "
          f"unseen on IMAP={unseen_left} orphans={leftovers}")
    assert not lost, lost[:5]
    assert duplicates == 0
    assert sum(tickets.values()) == len(expected)
    assert unseen_left == 0
    assert not any(leftovers.values()), leftovers

    # every mail read again (flags lost, fetch replayed): recognised, no new ticket
    mark_all_unseen(imap)
    server.execute("fetchmail.server", "fetch_mail", [fetch_server])
    for raw in rpc_mails[:5]:
        server.process_mail(raw)
    tickets, lost, duplicates = tally()
    print(f"[faults] after processing every mail a second time: tickets={sum(tickets.values())} "
          f"duplicates={duplicates} unseen on IMAP={unseen(imap)}")
    assert duplicates == 0 and not lost
    assert unseen(imap) == 0
