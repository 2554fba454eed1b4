"""What the load tests drive and check, shared by tests/test_load.py (one multi-worker node)
and tests/test_scale_out.py (two nodes on a primary and a replica): the helpdesk set up for
a load, the SLA cron kept due, portal customers submitting tickets, an MTA delivering
mails, agents reading through the web client's RPC, and the figures of the tickets a load
created.

The callers keep their own clients' shapes (how many, on which node, what they write) and
their own assertions; the pieces here do the same thing for both."""
import collections
import datetime
import re
import threading
import time

from odoo_server import (
    WebSession, create_24_7_calendar, create_agents, create_portal_users, ensure_alias_domain, is_installed,
)

PORTAL_TICKET_LOCATION = re.compile(r"/my/tickets/(\d+)\?")
MAIL_ATTEMPTS = 4  # an MTA retries a failed delivery later


def setup_helpdesk_for_load(server, label, tag, n_customers):
    """Two round-robin departments of three agents on a 24/7 calendar (one on the portal,
    one with a mail alias), short SLA targets when helpdesk_sla is installed, and
    ``n_customers`` portal users. ``label`` names the records (``Load``, ``Scale``)."""
    domain = ensure_alias_domain(server)
    agents = create_agents(server, tag, 3)
    calendar_id = create_24_7_calendar(server, f"{label} 24/7")
    dept_portal = server.execute("helpdesk.department", "create", {
        "name": f"{label} Portal", "assignment_method": "round_robin", "member_ids": [(6, 0, agents)],
        "portal_published": True, "resource_calendar_id": calendar_id,
    })
    dept_mail = server.execute("helpdesk.department", "create", {
        "name": f"{label} Mail", "assignment_method": "round_robin", "member_ids": [(6, 0, agents)],
        "portal_published": False, "resource_calendar_id": calendar_id, "alias_name": f"{tag}-intake",
    })
    sla_cron_id = None
    if is_installed(server, "helpdesk_sla"):
        for dept in (dept_portal, dept_mail):
            # short targets on a 24/7 calendar: lines reach their warning and fail during the
            # load, so the cron really writes while tickets are being created
            server.execute("helpdesk.sla.policy", "create", {
                "name": f"{label} SLA {dept}", "department_id": dept, "first_response_hours": 0.02,
                "resolution_hours": 8, "warning_percent": 50, "escalate_priority": "2",
                "escalate_notify_manager": False,
            })
        sla_cron_id = server.ref("helpdesk_sla.ir_cron_helpdesk_sla_check")
    return {
        "agents": agents, "agent_logins": [(f"{tag}_agent_{i}", f"{tag}_agent_{i}_pw") for i in range(3)],
        "dept_portal": dept_portal, "dept_mail": dept_mail, "alias": f"{tag}-intake@{domain}",
        "customers": create_portal_users(server, tag, n_customers), "sla_cron_id": sla_cron_id,
    }


class SlaCronDriver(threading.Thread):
    """Keeps the SLA cron due while the load runs (the cron workers pick it up)."""

    def __init__(self, server, cron_id):
        super().__init__(daemon=True)
        self.server = server
        self.cron_id = cron_id
        self.stop_event = threading.Event()
        self.triggers = 0
        self.busy = 0
        self.errors = []

    @classmethod
    def start_for(cls, server, cron_id):
        """A started driver, or None without an SLA cron (helpdesk_sla not installed)."""
        if not cron_id:
            return None
        driver = cls(server, cron_id)
        driver.start()
        return driver

    def stop(self):
        self.stop_event.set()
        self.join()

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.server.execute("ir.cron", "write", [self.cron_id], {
                    "nextcall": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S"),
                })
                self.triggers += 1
            except Exception as error:  # noqa: BLE001 - reported by the test
                if "currently being executed" in str(error):
                    self.busy += 1  # the cron is running right now: what we want
                else:
                    self.errors.append(repr(error)[:300])
            self.stop_event.wait(1.5)


def share(total, clients, index):
    """How many of ``total`` requests client ``index`` of ``clients`` sends (all of them, once)."""
    return total // clients + (1 if index < total % clients else 0)


def portal_writer_session(node, login, password):
    """A logged-in portal customer of ``node`` and the CSRF token of its new-ticket form."""
    session = WebSession(node).login(login, password)
    return session, session.csrf("/my/tickets/new")


def submit_portal_tickets(session, token, department_id, count, texts, on_ticket, on_error, label):
    """``count`` tickets posted on the portal's form, one after the other, like a customer.

    ``texts(i)`` gives the i-th (subject, description); ``on_ticket(ticket id)`` is called for
    each ticket the portal redirected to, ``on_error(text)`` for anything else reaching the
    client (both from this thread: the caller locks)."""
    for i in range(count):
        subject, description = texts(i)
        data = {"csrf_token": token, "department_id": str(department_id), "subject": subject,
                "description": description}
        try:
            response = session.post("/my/tickets/new", data=data, allow_redirects=False)
            match = PORTAL_TICKET_LOCATION.search(response.headers.get("Location", ""))
            if response.status_code != 303 or not match:
                on_error(f"{label}-{i}: HTTP {response.status_code} {response.text[:300]!r}")
                continue
            on_ticket(int(match.group(1)))
        except Exception as error:  # noqa: BLE001 - an error reaching the client
            on_error(f"{label}-{i}: {error!r}"[:500])


def deliver_mail(node, raw, on_error, label):
    """One mail delivered like an MTA: a failed delivery is retried (MAIL_ATTEMPTS in all,
    each failure given to ``on_error``). Returns (delivered, ticket id)."""
    for attempt in range(MAIL_ATTEMPTS):
        try:
            return True, node.process_mail(raw)
        except Exception as error:  # noqa: BLE001 - an error reaching the MTA
            on_error(f"{label} (attempt {attempt + 1}): {error!r}"[:500])
            time.sleep(1)
    return False, None


def web_call_kw(session, model, method, args, kwargs):
    """A model method called as the web client does (JSON-RPC on /web/dataset/call_kw): the
    response, whose JSON holds ``result`` or ``error``."""
    return session.post(f"/web/dataset/call_kw/{model}/{method}", json={
        "jsonrpc": "2.0", "method": "call",
        "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
    })


def _digits(number):
    return re.sub(r"\D", "", number or "")


def ticket_figures(server, departments, name_like, returned_ids, message_ids, agents):
    """What the database holds of a load's tickets (in ``departments``, name LIKE ``name_like``)
    against what the clients were answered (``returned_ids``) and the mails delivered
    (``message_ids``): lost, phantom and duplicate tickets, duplicate numbers over the whole
    table, gaps in the load's numbers, round robin per department, mails stored per Message-Id."""
    rows = server.query(
        "SELECT id, number, department_id, user_id FROM helpdesk_ticket WHERE department_id IN %s AND name LIKE %s",
        [tuple(departments), name_like],
    )
    tickets = {row[0]: row for row in rows}
    digits = sorted(int(_digits(row[1])) for row in rows if _digits(row[1]))
    all_numbers = {int(_digits(number)) for (number,) in server.query("SELECT number FROM helpdesk_ticket")
                   if _digits(number)}
    balance, unassigned = {}, 0
    for dept in departments:
        counts = collections.Counter(row[3] for row in rows if row[2] == dept)
        unassigned += counts.pop(None, 0)
        balance[dept] = {agent: counts.get(agent, 0) for agent in agents}
    return {
        "rows": rows,
        "tickets": tickets,
        "lost": set(returned_ids) - set(tickets),
        "phantom": set(tickets) - set(returned_ids),
        "duplicates_returned": len(returned_ids) - len(set(returned_ids)),
        "number_dups": server.query(
            "SELECT company_id, number, count(*) FROM helpdesk_ticket GROUP BY company_id, number HAVING count(*) > 1"
        ),
        "numbers": [row[1] for row in rows],
        "digits": digits,
        "gaps": [n for n in range(digits[0], digits[-1] + 1) if n not in all_numbers] if digits else [],
        "balance": balance,
        "unassigned": unassigned,
        "stored": dict(server.query(
            "SELECT message_id, count(*) FROM mail_message WHERE message_id IN %s GROUP BY message_id",
            [tuple(message_ids) or ("-",)],
        ) or []),
    }


def assert_round_robin_balanced(figures):
    """No ticket unassigned, agents balanced per department.

    A creation retried after a serialization failure (another worker or job wrote the same
    customer) has consumed a ticket number and a round-robin slot: both sequences are
    outside transactions, so each such retry is one gap in the numbers and may skip one
    agent's turn; nothing else may unbalance the agents."""
    assert figures["unassigned"] == 0
    gaps = len(figures["gaps"])
    for dept, counts in figures["balance"].items():
        assert max(counts.values()) - min(counts.values()) <= 1 + gaps, \
            f"round robin unbalanced in {dept}: {counts} (retried creations: {gaps})"
