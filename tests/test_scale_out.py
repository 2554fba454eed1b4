"""Scale out on Odoo's own engine: two Odoo nodes (prefork workers, one data folder, crons on
node A only) on a PostgreSQL primary with a streaming replica (``db_replica_host``).

Load across both nodes — portal submissions, mail intake, customers reading their ticket
list and pages, agents reading tickets and the analysis through the web client's RPC, the
SLA cron — then the same with the replica stopped in the middle. Proves: nothing lost, no
duplicate numbers, round robin balanced across nodes, the read-only requests of both nodes
served by the replica (each read carries a unique search term, found in the replica's
statement log, from a process of the node that answered it), and, with the replica gone,
reads answered by the primary (Odoo's fallback) with nothing lost.

Slow (its own database, two servers, a replica): run by ``make test-scale`` (and .ci/run),
skipped by ``make test`` unless HELPDESK_SCALE_OUT=1.
"""
import collections
import itertools
import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from load_drivers import (
    SlaCronDriver, assert_round_robin_balanced, deliver_mail, portal_writer_session, setup_helpdesk_for_load, share,
    submit_portal_tickets, ticket_figures, web_call_kw,
)
from odoo_replica import ReplicaStack
from odoo_server import WebSession, make_mail, repo_addons

N_PORTAL = int(os.environ.get("HELPDESK_SCALE_PORTAL", "40"))  # per phase
N_MAIL = int(os.environ.get("HELPDESK_SCALE_MAIL", "40"))  # per phase
N_READS = int(os.environ.get("HELPDESK_SCALE_READS", "40"))  # per phase and kind of reader
N_CUSTOMERS = 4
RETRY_WARNING = "retrying with a read/write cursor"
FALLBACK_WARNING = "Failed to open a readonly cursor, falling back to read-write cursor"

pytestmark = pytest.mark.skipif(
    os.environ.get("HELPDESK_SCALE_OUT") != "1",
    reason="two Odoo nodes and a replica: make test-scale (HELPDESK_SCALE_OUT=1)",
)


@pytest.fixture(scope="module")
def scale_stack():
    missing = {"helpdesk_ticket", "helpdesk_portal", "helpdesk_mail_gateway"} - set(repo_addons())
    if missing:
        pytest.skip(f"the scale-out test needs {', '.join(sorted(missing))}")
    stack = ReplicaStack(db=f"helpdesk_scale_{os.getpid()}")
    failed = True
    try:
        stack.setup()
        yield stack
        failed = False
    finally:
        stack.teardown(keep_logs=failed)


@pytest.fixture(scope="module")
def scale_setup(scale_stack):
    server = scale_stack.node_a
    tag = f"scale{uuid.uuid4().hex[:4]}"
    setup = setup_helpdesk_for_load(server, "Scale", tag, N_CUSTOMERS)
    # the replica has the users before anyone logs in on it
    scale_stack.replica.wait_caught_up()
    return {"stack": scale_stack, "run": tag, **setup}


class Load:
    """One phase of load on both nodes; ``during(elapsed)`` runs in the driver thread."""

    def __init__(self, setup, phase):
        self.setup = setup
        self.stack = setup["stack"]
        self.phase = phase
        self.lock = threading.Lock()
        self.errors = []
        self.portal_results = []  # ticket ids
        self.mail_results = []  # (ticket id, message id)
        self.reads = []  # (marker, node index, kind, attempts)
        self.read_failures = []  # answers before a retry succeeded
        self.markers = itertools.count()
        self.driver = None

    def _marker(self):
        with self.lock:
            return f"zq{self.phase}x{next(self.markers)}y{uuid.uuid4().hex[:6]}"

    # -- clients ---------------------------------------------------------------------------
    def _error(self, text):
        with self.lock:
            self.errors.append(text)

    def _portal_writer(self, index, sessions):
        session, token = sessions[index]

        def on_ticket(ticket_id):
            with self.lock:
                self.portal_results.append(ticket_id)

        submit_portal_tickets(
            session, token, self.setup["dept_portal"], share(N_PORTAL, N_CUSTOMERS, index),
            lambda i: (f"Scale {self.setup['run']} {self.phase} portal {index}-{i}",
                       f"Request {i} of customer {index}."),
            on_ticket, self._error, f"portal {index}",
        )

    def _mail_writer(self, index, clients):
        nodes = self.stack.nodes
        for i in range(index, N_MAIL, clients):
            raw, message_id = make_mail(
                self.setup["alias"], f"Sender {i % 10} <scale.sender{i % 10}@mail-customers.example>",
                f"Scale {self.setup['run']} {self.phase} mail {i}", f"Mail {i}.",
                message_id=f"<scale-{self.setup['run']}-{self.phase}-{i}@mail-customers.example>",
            )
            delivered, ticket_id = deliver_mail(nodes[i % 2], raw, self._error, f"mail {i}")
            if delivered:
                with self.lock:
                    self.mail_results.append((ticket_id, message_id))

    def _read(self, kind, node_index, request):
        """One read with a unique marker; a browser reloads a page that failed once."""
        marker = self._marker()
        for attempt in (1, 2, 3):
            try:
                response = request(marker)
                answered = response.status_code == 200
                if answered and kind.startswith("agent"):
                    answered = "error" not in response.json()
                if answered:
                    with self.lock:
                        self.reads.append((marker, node_index, kind, attempt))
                    return
                failure = f"HTTP {response.status_code} {response.text[:200]!r}"
            except Exception as error:  # noqa: BLE001 - counted
                failure = repr(error)[:300]
            with self.lock:
                self.read_failures.append(f"{kind} on node {node_index} attempt {attempt}: {failure}")
            time.sleep(0.5)
        with self.lock:
            self.errors.append(f"{kind} on node {node_index}: no answer after 3 attempts")

    def _portal_reader(self, index, sessions):
        session, node_index = sessions[index]
        for i in range(index, N_READS, N_CUSTOMERS):
            if i % 2:
                self._read("portal list", node_index, lambda marker: session.get(
                    "/my/tickets", params={"search": marker, "search_in": "all"}))
            else:
                self._read("portal list+filter", node_index, lambda marker: session.get(
                    "/my/tickets", params={"search": marker, "filterby": "open", "groupby": "status"}))
            # the ticket pages of the list (not counted by marker: no search term in them)
            session.get(f"/my/tickets/{self.portal_results[-1]}") if self.portal_results else None

    def _agent_reader(self, index, sessions):
        session, node_index = sessions[index]
        for i in range(index, N_READS, len(sessions)):
            if i % 2:
                self._read("agent list", node_index, lambda marker: web_call_kw(
                    session, "helpdesk.ticket", "web_search_read",
                    [[["name", "ilike", marker]], {"number": {}, "name": {}, "stage_id": {}}], {"limit": 80}))
            else:
                self._read("agent count", node_index, lambda marker: web_call_kw(
                    session, "helpdesk.ticket", "read_group",
                    [[["name", "not ilike", marker]], ["department_id"], ["department_id"]], {"lazy": True}))

    def run(self, during=None):
        nodes = self.stack.nodes
        writers, readers, agents = [], [], []
        for index, (login, password) in enumerate(self.setup["customers"]):
            node = nodes[index % 2]
            writers.append(portal_writer_session(node, login, password))
            reader = WebSession(nodes[(index + 1) % 2]).login(login, password)
            readers.append((reader, (index + 1) % 2))
        for index, (login, password) in enumerate(self.setup["agent_logins"][:2]):
            agents.append((WebSession(nodes[index % 2]).login(login, password), index % 2))
        driver = SlaCronDriver.start_for(self.stack.node_a, self.setup["sla_cron_id"])
        stop = threading.Event()
        side = threading.Thread(target=lambda: during and during(stop), daemon=True)
        started = time.monotonic()
        side.start()
        with ThreadPoolExecutor(max_workers=N_CUSTOMERS * 2 + 2 + 2) as pool:
            futures = [pool.submit(self._portal_writer, i, writers) for i in range(N_CUSTOMERS)]
            futures += [pool.submit(self._mail_writer, i, 2) for i in range(2)]
            futures += [pool.submit(self._portal_reader, i, readers) for i in range(N_CUSTOMERS)]
            futures += [pool.submit(self._agent_reader, i, agents) for i in range(len(agents))]
            for future in futures:
                future.result()
        self.started = started
        self.elapsed = time.monotonic() - started
        stop.set()
        side.join()
        if driver:
            driver.stop()
            self.driver = driver
        return self


def _check_tickets(setup, load, phase_tickets_expected):
    """Tickets of the phase: all there, once each, numbers unique, agents balanced."""
    server = setup["stack"].node_a
    message_ids = [mid for _tid, mid in load.mail_results]
    figures = ticket_figures(
        server, (setup["dept_portal"], setup["dept_mail"]), f"Scale {setup['run']} {load.phase} %",
        load.portal_results + [tid for tid, _mid in load.mail_results], message_ids, setup["agents"],
    )
    tickets, lost, phantom = figures["tickets"], figures["lost"], figures["phantom"]
    number_dups, numbers, stored = figures["number_dups"], figures["numbers"], figures["stored"]
    balance, unassigned, gaps = figures["balance"], figures["unassigned"], figures["gaps"]
    print(f"[scale] {load.phase}: tickets={len(tickets)}/{phase_tickets_expected} lost={len(lost)} "
          f"phantom={len(phantom)} duplicate_numbers={len(number_dups)} round_robin={balance} "
          f"unassigned={unassigned} gaps={len(gaps)} in {load.elapsed:.1f}s")
    assert len(tickets) == phase_tickets_expected
    assert not lost and not phantom
    assert not number_dups, number_dups
    assert len(set(numbers)) == len(numbers)
    assert all(stored.get(mid) == 1 for mid in message_ids), "a mail was lost or stored twice"
    assert_round_robin_balanced(figures)


def _served_by_replica(stack, replica_offset, load):
    """{marker: pid of the replica's client} of the phase's reads found in the replica's log."""
    statements = stack.replica.statements_since(replica_offset, stack.db)
    found = {}
    markers = {marker for marker, *_rest in load.reads}
    pattern = re.compile(r"zq[0-9a-z]+x\d+y[0-9a-f]{6}")
    for pid, statement in statements:
        for marker in pattern.findall(statement):
            if marker in markers:
                found.setdefault(marker, pid)
    return found, len(statements)


def test_two_nodes_reads_on_the_replica(scale_setup):
    stack = scale_setup["stack"]
    offsets = [node.log_size() for node in stack.nodes]
    replica_offset = stack.replica.log_size()
    load = Load(scale_setup, "p1").run()
    stack.replica.wait_caught_up()
    _check_tickets(scale_setup, load, N_PORTAL + N_MAIL)

    found, statements = _served_by_replica(stack, replica_offset, load)
    node_pids = [node.pids() for node in stack.nodes]
    by_node = collections.Counter()
    wrong_node = []
    for marker, node_index, kind, _attempts in load.reads:
        pid = found.get(marker)
        if pid is None:
            continue
        if pid in node_pids[node_index]:
            by_node[node_index] += 1
        else:
            wrong_node.append((marker, kind, node_index, pid))
    missing = [(marker, kind, node) for marker, node, kind, _a in load.reads if marker not in found]
    node_logs = [node.log_since(offset) for node, offset in zip(stack.nodes, offsets)]
    retried = sum(log.count(RETRY_WARNING) for log in node_logs)
    errors = [error for log in node_logs for error in stack.node_a.classify_log(log)[0]]
    print(f"[scale] p1: reads={len(load.reads)} served by the replica={len(found)} (node A {by_node[0]}, "
          f"node B {by_node[1]}) missing={len(missing)} replica statements={statements} "
          f"read-only requests retried on the primary={retried} read failures={len(load.read_failures)}")
    print(f"[scale] p1: replication {stack.replication_state()}")
    for line in (load.errors + load.read_failures + errors)[:10]:
        print("[scale]   ", line[:300])
    assert not load.errors
    assert len(load.reads) == 2 * N_READS
    assert not missing, f"reads not served by the replica: {missing[:5]}"
    assert not wrong_node, wrong_node[:5]
    assert by_node[0] and by_node[1], "both nodes send their reads to the replica"
    assert retried == 0, "a read-only request wrote (retried on the primary)"
    assert not errors, errors[:3]
    assert not load.read_failures
    # the SLA cron ran during the load, on node A only (node B has no cron worker); a run
    # triggered in the last seconds of a fast load ends after it: wait for it (bounded)
    done = r"Job 'Helpdesk: SLA breaches[^']*' \(\d+\) done"
    deadline = time.time() + 90
    while scale_setup["sla_cron_id"] and time.time() < deadline and not re.search(
            done, stack.nodes[0].log_since(offsets[0])):
        time.sleep(1)
    node_logs = [node.log_since(offset) for node, offset in zip(stack.nodes, offsets)]
    sla_runs = [len(re.findall(done, log)) for log in node_logs]
    print(f"[scale] p1: SLA cron runs per node={sla_runs} triggers={load.driver.triggers if load.driver else 0} "
          f"cron workers per node={[len(node.worker_processes('WorkerCron')) for node in stack.nodes]}")
    if scale_setup["sla_cron_id"]:
        assert sla_runs[0] and not sla_runs[1]
        lines = dict(stack.node_a.query(
            """SELECT t.id, count(l.id) FROM helpdesk_ticket t
                 LEFT JOIN helpdesk_ticket_sla l ON l.ticket_id = t.id AND l.target = 'first_response'
                WHERE t.name LIKE %s GROUP BY t.id""", [f"Scale {scale_setup['run']} p1 %"]))
        assert set(lines.values()) == {1}, "one first-response SLA line per ticket"
    assert not stack.node_b.worker_processes("WorkerCron")


def test_replica_stopped_mid_run(scale_setup):
    """The replica stops during the load: Odoo's nodes open their read-only cursors on the
    primary (registry.cursor(readonly=True) falls back when the replica refuses the
    connection, for 20 minutes), reads keep being answered and nothing is lost."""
    stack = scale_setup["stack"]
    offsets = [node.log_size() for node in stack.nodes]
    stopped = {}

    def stop_replica(_stop_event):
        time.sleep(3)
        stack.replica.stop(mode="fast")
        stopped["at"] = time.monotonic()
        stopped["down"] = not stack.replica.is_running()

    load = Load(scale_setup, "p2").run(during=stop_replica)
    _check_tickets(scale_setup, load, N_PORTAL + N_MAIL)
    node_logs = [node.log_since(offset) for node, offset in zip(stack.nodes, offsets)]
    fallbacks = [log.count(FALLBACK_WARNING) for log in node_logs]
    errors = [error for log in node_logs for error in stack.node_a.classify_log(log)[0]]
    # what a request on the replica at the very moment it stops may log (its connection is
    # cut: the request fails and the client's retry lands on the primary)
    cut = [error for error in errors if re.search(
        r"terminating connection|server closed the connection|connection already closed|"
        r"SSL SYSCALL|could not receive data|Connection refused|InterfaceError|OperationalError", error)]
    other_errors = [error for error in errors if error not in cut]
    retries = [attempts for *_r, attempts in load.reads if attempts > 1]
    print(f"[scale] p2: replica stopped {stopped.get('at', load.started) - load.started:.1f}s "
          f"into the run; reads={len(load.reads)} answered after a reload={len(retries)} "
          f"fallback warnings per node={fallbacks} requests cut by the stop={len(cut)} other errors="
          f"{len(other_errors)}")
    for line in (load.errors + load.read_failures + other_errors)[:10]:
        print("[scale]   ", line[:300])
    assert stopped.get("down"), "the replica was not stopped during the run"
    assert not load.errors, load.errors[:5]
    assert len(load.reads) == 2 * N_READS
    assert all(fallbacks), "each node falls back to the primary for its read-only cursors"
    assert not other_errors, other_errors[:3]
    # after the stop, every read is still answered (by the primary)
    session = WebSession(stack.node_b).login(*scale_setup["customers"][0])
    assert session.get("/my/tickets").status_code == 200
