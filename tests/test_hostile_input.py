"""Hostile input against the running multi-worker server.

* hypothesis-generated mails (headers, charsets, MIME trees) and portal form values:
  every input is either turned into a complete ticket or refused as a whole, never a
  server error, never half a ticket;
* stored XSS in subject, description, chatter and attachment names is inert in what the
  server renders (portal pages, notification mails) and sanitised where HTML is stored;
* SQL-looking portal search terms are plain text;
* uploads over the limit are refused with a message;
* guest tracking brute force (1,000 attempts) is blocked while a customer on another
  address still finds their ticket.
"""
import base64
import collections
import os
import random
import re
import string
import threading
import time
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo_server import WebSession, create_agents, create_portal_users, ensure_alias_domain, is_installed, make_mail

EXAMPLES = int(os.environ.get("HELPDESK_HYPOTHESIS_EXAMPLES", 40))
HYPOTHESIS_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

XSS_MARK = "xss9"
XSS_PAYLOADS = [
    f"<script>alert('{XSS_MARK}-script')</script>",
    f"<img src=x onerror=\"alert('{XSS_MARK}-img')\">",
    f"\"><svg onload=alert('{XSS_MARK}-svg')>",
    f"<a href=\"javascript:alert('{XSS_MARK}-href')\">click</a>",
    f"<iframe src=\"javascript:alert('{XSS_MARK}-iframe')\"></iframe>",
    f"<body onload=alert('{XSS_MARK}-body')>",
    f"<div style=\"background:url(javascript:alert('{XSS_MARK}-css'))\">x</div>",
]
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "link"}


def active_payloads(html_text, mark=XSS_MARK):
    """Places where a payload carrying ``mark`` would run in a browser rendering ``html_text``."""
    if not html_text or mark not in html_text:
        return []
    try:
        root = lxml.html.fromstring(html_text)
    except Exception:  # noqa: BLE001 - not HTML at all: text only, nothing runs
        return []
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag in DANGEROUS_TAGS and (mark in (element.text or "") or any(mark in v for v in element.attrib.values())):
            found.append(f"<{tag}> {lxml.html.tostring(element)[:120]!r}")
        for name, value in element.attrib.items():
            if mark not in value:
                continue
            if name.lower().startswith("on"):
                found.append(f"<{tag} {name}=...>")
            elif name.lower() in ("href", "src", "action", "formaction", "xlink:href", "data") and \
                    re.match(r"\s*(javascript|vbscript|data):", value, re.IGNORECASE):
                found.append(f"<{tag} {name}={value[:60]!r}>")
            elif name.lower() == "style" and "javascript:" in value.lower():
                found.append(f"<{tag} style={value[:60]!r}>")
    return found


@pytest.fixture(scope="module")
def hostile(odoo_stack):
    server = odoo_stack.server
    mail = is_installed(server, "helpdesk_mail_gateway")
    domain = ensure_alias_domain(server) if mail else None
    tag = f"hostile{uuid.uuid4().hex[:4]}"
    agents = create_agents(server, tag, 2)
    values = {"name": "Hostile", "assignment_method": "round_robin", "member_ids": [(6, 0, agents)],
              "portal_published": True}
    if mail:
        values["alias_name"] = f"{tag}-intake"
    department = server.execute("helpdesk.department", "create", values)
    (login_a, password_a), (login_b, password_b) = create_portal_users(server, tag, 2)
    return {"server": server, "stack": odoo_stack, "department": department, "mail": mail,
            "alias": f"{tag}-intake@{domain}" if mail else None,
            "a": (login_a, password_a), "b": (login_b, password_b)}


def portal_session(hostile, who="a"):
    return WebSession(hostile["server"]).login(*hostile[who])


def submit_portal(session, token, department, subject, description, files=None):
    data = {"csrf_token": token, "department_id": str(department), "subject": subject, "description": description}
    return session.post("/my/tickets/new", data=data, files=files, allow_redirects=False)


# ----------------------------------------------------------------------
# hypothesis: mails
# ----------------------------------------------------------------------
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r", "shift_jis", "euc-kr", "gb2312",
            "big5", "tis-620", "windows-874", "utf-16", "us-ascii", "x-unknown-charset", "utf8"]
TRANSFER = ["7bit", "8bit", "quoted-printable", "base64"]
hostile_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(XSS_PAYLOADS),
    st.text(alphabet=st.sampled_from("<>\"'&;=/\\%_\x00\x1b\r\n\t\u202e\ufeff\u0e01\u0627\u4e2d\U0001f600"),
            max_size=40),
)


def _encode_body(text, charset, transfer):
    try:
        raw = text.encode("utf-8" if charset in ("x-unknown-charset", "utf8") else charset, errors="replace")
    except LookupError:
        raw = text.encode("utf-8")
    if transfer == "base64":
        return base64.encodebytes(raw)
    if transfer == "quoted-printable":
        import quopri  # noqa: PLC0415

        return quopri.encodestring(raw)
    if transfer == "7bit":
        return raw.decode("ascii", "replace").replace("\ufffd", "?").encode()
    return raw


@st.composite
def leaf_part(draw):
    kind = draw(st.sampled_from(["text/plain", "text/html", "attachment", "attachment"]))
    transfer = draw(st.sampled_from(TRANSFER))
    if kind == "attachment":
        name = draw(st.one_of(st.text(max_size=40), st.sampled_from([p + ".txt" for p in XSS_PAYLOADS])))
        payload = draw(st.binary(max_size=300))
        name_header = name.replace("\\", "").replace('"', "").replace("\r", "").replace("\n", "")
        encoded_name = "=?utf-8?b?%s?=" % base64.b64encode(name_header.encode("utf-8", "replace")).decode()
        headers = [f"Content-Type: application/octet-stream; name=\"{encoded_name}\"",
                   f"Content-Disposition: attachment; filename=\"{encoded_name}\"",
                   "Content-Transfer-Encoding: base64"]
        return headers, base64.encodebytes(payload)
    charset = draw(st.sampled_from(CHARSETS))
    text = draw(hostile_text)
    if kind == "text/html":
        text = f"<html><body><p>{text}</p>{draw(st.sampled_from(XSS_PAYLOADS))}</body></html>"
    headers = [f"Content-Type: {kind}; charset=\"{charset}\"", f"Content-Transfer-Encoding: {transfer}"]
    return headers, _encode_body(text, charset, transfer)


def _serialize(tree, depth=0):
    """(headers, body bytes) of a MIME tree: leaf tuples or ("multipart/x", [children])."""
    if isinstance(tree, tuple) and isinstance(tree[1], list):
        subtype, children = tree
        boundary = f"=_b{depth}_{uuid.uuid4().hex[:12]}"
        body = b"preamble\r\n"
        for child in children:
            headers, payload = _serialize(child, depth + 1)
            body += f"--{boundary}\r\n".encode() + "\r\n".join(headers).encode() + b"\r\n\r\n" + payload + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return [f"Content-Type: {subtype}; boundary=\"{boundary}\""], body
    return tree


mime_tree = st.recursive(
    leaf_part(),
    lambda children: st.tuples(
        st.sampled_from(["multipart/mixed", "multipart/alternative", "multipart/related"]),
        st.lists(children, min_size=1, max_size=3),
    ),
    max_leaves=5,
)


@st.composite
def hostile_mail(draw, alias):
    tree = draw(mime_tree)
    headers, body = _serialize(tree)
    subject = draw(hostile_text)
    subject_charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "koi8-r", "windows-874", "x-bogus"]))
    subject_style = draw(st.sampled_from(["raw", "b", "q", "broken"]))
    clean = subject.replace("\r", " ").replace("\n", " ")
    if subject_style == "b":
        try:
            data = clean.encode(subject_charset if subject_charset != "x-bogus" else "utf-8", "replace")
        except LookupError:
            data = clean.encode()
        subject_header = f"=?{subject_charset}?B?{base64.b64encode(data).decode()}?="
    elif subject_style == "q":
        subject_header = "=?utf-8?Q?" + "".join(
            c if c in string.ascii_letters + string.digits else "=%02X" % b for c in clean
            for b in c.encode("utf-8"))[:200] + "?="
    elif subject_style == "broken":
        subject_header = f"=?utf-8?B?{base64.b64encode(clean.encode()).decode()[:-1]}"
    else:
        subject_header = clean
    sender = draw(st.sampled_from([
        "Hostile Sender <hostile.sender@customers.example>",
        "=?utf-8?B?w4lsb2TDqWEgPHNjcmlwdD4=?= <elodea@customers.example>",
        "\"<script>alert('xss9-from')</script>\" <scripted@customers.example>",
        "no-at-sign",
        "",
        "a@b.example, second@customers.example",
        "Ünïcødé <ünïcødé@customers.example>",
    ]))
    run = uuid.uuid4().hex[:12]
    message_id = f"<hyp-{run}@customers.example>"
    lines = [f"From: {sender}" if sender else "X-No-From: 1", f"To: {alias}", f"Subject: {subject_header}",
             f"Message-Id: {message_id}", "MIME-Version: 1.0",
             "Date: Mon, 23 Nov 2026 07:00:00 +0000"]
    if draw(st.booleans()):
        lines.append(f"Cc: {draw(st.sampled_from(['cc@customers.example', 'bad cc <<>>', 'x@y.example, ,,']))}")
    if draw(st.booleans()):
        lines.append(f"X-Garbage: {draw(st.text(max_size=30))}".replace("\r", "").replace("\n", ""))
    raw = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n" + "\r\n".join(headers).encode() + \
        b"\r\n\r\n" + body
    return raw, message_id


def test_hypothesis_mails(hostile):
    """Every generated mail either makes one complete ticket or is refused whole, twice
    delivered is still one ticket, and no stored HTML can run a payload."""
    if not hostile["mail"]:
        pytest.skip("helpdesk_mail_gateway is not installed")
    server = hostile["server"]
    figures = collections.Counter()

    @HYPOTHESIS_SETTINGS
    @given(mail=hostile_mail(hostile["alias"]))
    def check(mail):
        raw, message_id = mail
        try:
            result = server.process_mail(raw)
            outcome = "processed"
        except xmlrpc.client.Fault:  # refused whole (a Fault, not a broken connection)
            result, outcome = None, "refused"
        figures[outcome] += 1
        rows = server.query(
            """SELECT m.res_id, m.body FROM mail_message m
                WHERE m.message_id = %s AND m.model = 'helpdesk.ticket'""", [message_id])
        tickets = server.query(
            "SELECT t.id, t.description FROM helpdesk_ticket t WHERE t.id IN %s", [tuple(r[0] for r in rows) or (0,)])
        if outcome == "refused":
            assert not rows and not tickets, "a refused mail left something behind"
            return
        assert len(rows) <= 1, "the mail was stored twice"
        if rows:
            assert len(tickets) == 1 and (not result or result == tickets[0][0])
            figures["tickets"] += 1
            for html_text in (rows[0][1], tickets[0][1]):
                assert not active_payloads(html_text), active_payloads(html_text)
            attachments = server.query(
                "SELECT name FROM ir_attachment WHERE res_model = 'helpdesk.ticket' AND res_id = %s", [tickets[0][0]])
            figures["attachments"] += len(attachments)
            # the same mail again: still one ticket, one message
            server.process_mail(raw)
            again = server.query("SELECT count(*) FROM mail_message WHERE message_id = %s", [message_id])[0][0]
            assert again == 1, "a mail processed twice was stored twice"
        else:
            figures["ignored"] += 1

    check()
    print(f"\n[hostile] mails: {dict(figures)}; half-created=0 duplicates=0 leaks=0")


# ----------------------------------------------------------------------
# hypothesis: portal form values
# ----------------------------------------------------------------------
def test_hypothesis_portal_form(hostile):
    server = hostile["server"]
    session = portal_session(hostile, "a")
    token = session.csrf("/my/tickets/new")
    department = hostile["department"]
    partner_id = server.execute("res.users", "search_read", [("login", "=", hostile["a"][0])],
                                fields=["partner_id"])[0]["partner_id"][0]
    figures = collections.Counter()

    form_text = hostile_text

    @HYPOTHESIS_SETTINGS
    @given(
        subject=form_text,
        description=st.one_of(form_text, st.text(min_size=1, max_size=300)),
        department_value=st.sampled_from([str(department)] * 4 + ["", "abc", "-1", "999999", "1 OR 1=1", "0x1"]),
        type_value=st.sampled_from(["", "", "abc", "999999", "1;DROP TABLE helpdesk_ticket"]),
    )
    def check(subject, description, department_value, type_value):
        before = server.query("SELECT count(*) FROM helpdesk_ticket WHERE partner_id = %s", [partner_id])[0][0]
        data = {"csrf_token": token, "department_id": department_value, "subject": subject,
                "description": description, "type_id": type_value}
        response = session.post("/my/tickets/new", data=data, allow_redirects=False)
        after = server.query("SELECT count(*) FROM helpdesk_ticket WHERE partner_id = %s", [partner_id])[0][0]
        assert response.status_code in (200, 303), f"HTTP {response.status_code}: {response.text[:300]}"
        if response.status_code == 303:
            figures["created"] += 1
            assert after == before + 1
            ticket_id = int(re.search(r"/my/tickets/(\d+)", response.headers["Location"]).group(1))
            stored = server.execute("helpdesk.ticket", "read", [ticket_id], ["name", "description"])[0]
            def printable(text):
                return "".join(ch for ch in text if ch.isprintable()).strip()

            # control characters may be dropped on the way; everything else is kept as typed
            assert printable(stored["name"]) == printable(subject)
            assert not active_payloads(stored["description"] or "")
            page = session.get(f"/my/tickets/{ticket_id}")
            assert page.status_code == 200
            assert not active_payloads(page.text)
        else:
            figures["refused"] += 1
            assert after == before, "a refused form created a ticket"
            assert not active_payloads(response.text)
            assert re.search(r"alert|invalid-feedback|is-invalid|text-danger", response.text), "no error shown"

    check()
    print(f"\n[hostile] portal forms: {dict(figures)}; server errors=0 half-created=0")


def test_nul_byte_in_portal_form_is_not_a_server_error(hostile):
    session = portal_session(hostile, "a")
    token = session.csrf("/my/tickets/new")
    response = submit_portal(session, token, hostile["department"], "\x00", "NUL in the subject")
    print(f"\n[hostile] NUL byte in the portal form subject: HTTP {response.status_code}")
    assert response.status_code in (200, 303)


# ----------------------------------------------------------------------
# stored XSS
# ----------------------------------------------------------------------
def _json_call(session, path, params):
    response = session.post(path, json={"jsonrpc": "2.0", "method": "call", "params": params})
    response.raise_for_status()
    body = response.json()
    assert "error" not in body, body.get("error")
    return body["result"]


def test_stored_xss_is_neutralised(hostile):
    server = hostile["server"]
    stack = hostile["stack"]
    session = portal_session(hostile, "a")
    token = session.csrf("/my/tickets/new")
    payload = " ".join(XSS_PAYLOADS)
    # portal form: subject, description and attachment name
    files = [("attachments", (f"\"><img src=x onerror=alert('{XSS_MARK}-file')>.txt", b"hello", "text/plain"))]
    response = submit_portal(session, token, hostile["department"], f"Subject {XSS_PAYLOADS[0]}"[:200],
                             payload, files=files)
    assert response.status_code == 303, response.text[:500]
    portal_ticket = int(re.search(r"/my/tickets/(\d+)", response.headers["Location"]).group(1))
    tickets = [portal_ticket]
    # mail: subject, HTML body and attachment name
    if hostile["mail"]:
        boundary = "xssboundary"
        raw = (
            f"From: Mallory <mallory@customers.example>\r\nTo: {hostile['alias']}\r\n"
            f"Subject: {XSS_PAYLOADS[1]}\r\nMessage-Id: <xss-{uuid.uuid4().hex}@customers.example>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello</p>{payload}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; name=\"<img src=x onerror=alert('{XSS_MARK}-att')>.txt\"\r\n"
            f"Content-Disposition: attachment; filename=\"<img src=x onerror=alert('{XSS_MARK}-att')>.txt\"\r\n\r\n"
            f"attached\r\n--{boundary}--\r\n"
        ).encode()
        mail_ticket = server.process_mail(raw)
        assert mail_ticket
        tickets.append(mail_ticket)
    # chatter: the customer posts on their ticket through the portal chatter
    ticket_token = server.execute("helpdesk.ticket", "read", [portal_ticket], ["access_token"])[0]["access_token"]
    _json_call(session, "/mail/message/post", {
        "thread_model": "helpdesk.ticket", "thread_id": portal_ticket, "token": ticket_token,
        "post_data": {"body": f"<p>Customer says</p>{payload}", "message_type": "comment",
                      "subtype_xmlid": "mail.mt_comment"},
    })
    # an agent's note mentioning it (backend composer path)
    server.execute("helpdesk.ticket", "message_post", [portal_ticket], body=f"<p>Agent note</p>{payload}",
                   message_type="comment", subtype_xmlid="mail.mt_note")

    leaks = {}
    # backend: every stored HTML value
    for ticket in server.execute("helpdesk.ticket", "read", tickets, ["description"]):
        leaks[f"ticket {ticket['id']} description"] = active_payloads(ticket["description"] or "")
    for message in server.execute("mail.message", "search_read",
                                  [("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets)], fields=["body"]):
        leaks[f"message {message['id']} body"] = active_payloads(message["body"] or "")
    names = [a["name"] for a in server.execute(
        "ir.attachment", "search_read", [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", tickets)],
        fields=["name"])]
    # outgoing mails (rendered server-side with subject and names)
    server.flush_mail_queue()
    for mail in server.execute("mail.mail", "search_read", [("model", "=", "helpdesk.ticket"),
                                                             ("res_id", "in", tickets)], fields=["body_html"]):
        leaks[f"mail.mail {mail['id']}"] = active_payloads(mail["body_html"] or "")
    for index, (_from, _to, message) in enumerate(stack.smtp.messages()):
        for part in message.walk():
            if part.get_content_type() == "text/html":
                leaks[f"smtp {index}"] = active_payloads(part.get_content())
    # portal: list, ticket page (server-rendered), chatter data (JSON for the client)
    page_list = session.get("/my/tickets")
    leaks["portal /my/tickets"] = active_payloads(page_list.text)
    page = session.get(f"/my/tickets/{portal_ticket}")
    assert page.status_code == 200
    leaks["portal ticket page"] = active_payloads(page.text)
    assert XSS_MARK in page.text, "the payload should be shown as text"
    messages = _json_call(session, "/mail/thread/messages", {
        "thread_model": "helpdesk.ticket", "thread_id": portal_ticket, "token": ticket_token, "limit": 50,
    })
    for message in (messages.get("data", {}).get("mail.message") or []):
        body = message.get("body")
        if isinstance(body, list):  # markup marker ["markup", "<p>..."]
            body = body[-1]
        leaks[f"portal chatter message {message.get('id')}"] = active_payloads(body or "")
    guest = WebSession(server, source_address="127.0.0.9")
    guest_page = guest.get(f"/my/tickets/{portal_ticket}?access_token={ticket_token}")
    leaks["guest ticket page"] = active_payloads(guest_page.text)

    leaks = {where: found for where, found in leaks.items() if found}
    print(f"\n[hostile] stored XSS: {len(XSS_PAYLOADS)} payloads in subject, description, chatter and "
          f"{len(names)} attachment names over {len(tickets)} tickets; leaks={len(leaks)}")
    for where, found in leaks.items():
        print("[hostile]   leak:", where, found[:3])
    assert not leaks


# ----------------------------------------------------------------------
# SQL-looking search terms
# ----------------------------------------------------------------------
SQL_TERMS = [
    "' OR '1'='1", "%' OR 1=1 --", "'; DROP TABLE helpdesk_ticket; --", "\\", "%", "_", "%%", "HD-%",
    "') UNION SELECT login, password FROM res_users --", "1; SELECT pg_sleep(5)", "$$",
]


def test_sql_looking_search_terms_are_inert(hostile):
    server = hostile["server"]
    session_a = portal_session(hostile, "a")
    session_b = portal_session(hostile, "b")
    token_b = session_b.csrf("/my/tickets/new")
    response = submit_portal(session_b, token_b, hostile["department"], "Secret of customer B", "B's secret")
    assert response.status_code == 303
    number_b = server.query("SELECT number FROM helpdesk_ticket WHERE name = 'Secret of customer B' "
                            "ORDER BY id DESC LIMIT 1")[0][0]
    total_before = server.query("SELECT count(*) FROM helpdesk_ticket")[0][0]
    statuses = collections.Counter()
    leaked = []
    started = time.monotonic()
    for term in SQL_TERMS:
        for search_in in ("all", "number", "name", "' OR 1=1 --"):
            page = session_a.get("/my/tickets", params={"search": term, "search_in": search_in})
            statuses[page.status_code] += 1
            if number_b in page.text or "Secret of customer B" in page.text:
                leaked.append((term, search_in))
    elapsed = time.monotonic() - started
    total_after = server.query("SELECT count(*) FROM helpdesk_ticket")[0][0]
    print(f"\n[hostile] SQL-looking searches: {sum(statuses.values())} requests, statuses={dict(statuses)}, "
          f"leaks={len(leaked)}, tickets before/after={total_before}/{total_after}, {elapsed:.1f}s")
    assert set(statuses) == {200}
    assert not leaked
    assert total_after == total_before
    assert elapsed < 60  # no pg_sleep ran (12 x 4 requests)


def test_nul_byte_in_search_is_not_a_server_error(hostile):
    """A NUL byte cannot reach PostgreSQL in a string: the search must not answer 500."""
    session = portal_session(hostile, "a")
    statuses = collections.Counter(
        session.get("/my/tickets", params={"search": term, "search_in": "all"}).status_code
        for term in ("\x00", "HD\x00-1")
    )
    print(f"\n[hostile] NUL bytes in portal search: statuses={dict(statuses)}")
    assert set(statuses) == {200}, "a NUL byte in the search term gives a server error"


def test_nul_byte_in_public_routes_is_not_a_server_error(hostile):
    """Guest tracking and the knowledge base take the same hostile values."""
    guest = WebSession(hostile["server"])
    token = guest.csrf("/helpdesk/track")
    answers = {
        "track": guest.post("/helpdesk/track", data={"csrf_token": token, "number": "HD\x00-1",
                                                     "email": "a\x00@example.com"}).status_code,
        "kb_search": guest.get("/helpdesk/kb", params={"search": "print\x00er"}).status_code,
    }
    print(f"\n[hostile] NUL bytes in public routes: {answers}")
    assert set(answers.values()) == {200}, answers


# ----------------------------------------------------------------------
# hostile values in every path and parameter of the public and portal routes
# ----------------------------------------------------------------------
HOSTILE_VALUES = ["٣", "๓", "²", "3²", "99999999999", "2147483648", "-1", "0", "", " 1", "1e3", "0x1",
                  "9" * 400, "x" * 5000, "1\x00", "\x00", "a\x00b", "<script>alert(1)</script>"]


def test_hostile_values_in_every_route_and_parameter(hostile):
    """Non-ASCII digits, oversized integers, empty, very long and NUL-containing values in
    every path segment and parameter of the helpdesk's public and portal routes: a page,
    a redirect, 400 or 404, never a server error."""
    server = hostile["server"]
    ticket_id = server.execute("helpdesk.ticket", "create", {
        "name": "Hostile values target", "partner_email": "hostile.values@customers.example",
        "department_id": hostile["department"], "channel": "phone",
    })
    limits = ("track_limit_ip", "track_limit_number", "submit_limit_ip", "submit_limit_email")
    saved = {key: server.execute("ir.config_parameter", "get_param", f"helpdesk_portal.{key}") for key in limits}
    errors = []
    statuses = collections.Counter()

    def check(response, where):
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            errors.append(f"{where}: HTTP {response.status_code}")

    try:
        for key in limits:
            server.set_param(f"helpdesk_portal.{key}", 100000)
        for who in ("guest", "a"):
            session = WebSession(server, source_address="127.0.0.21") if who == "guest" else portal_session(hostile, "a")
            token = session.csrf("/helpdesk/track")
            for value in HOSTILE_VALUES:
                segment = requests_quote(value)
                for path in (f"/my/tickets/{segment}", f"/my/tickets/page/{segment}", f"/helpdesk/kb/{segment}"):
                    check(session.get(path, allow_redirects=False), path[:60])
                for path in (f"/my/tickets/{segment}/close", f"/my/tickets/{segment}/reopen",
                             f"/my/tickets/{segment}/rate", f"/helpdesk/kb/{segment}/vote"):
                    check(session.post(path, data={"csrf_token": token}, allow_redirects=False), path[:60])
                for params in ({"department": value}, {"tag": value}, {"search": value}):
                    check(session.get("/helpdesk/kb", params=params, allow_redirects=False), f"kb {params!r}"[:60])
                check(session.get(f"/my/tickets/{ticket_id}", params={"access_token": value, "pid": value,
                                                                      "hash": value, "message": value,
                                                                      "error": value},
                                  allow_redirects=False), "ticket page params")
                check(session.post("/helpdesk/track", data={"csrf_token": token, "number": value, "email": value},
                                   allow_redirects=False), "track")
                check(session.post("/helpdesk/track", data={"csrf_token": token, "number": value,
                                                             "email": "someone@customers.example"},
                                   allow_redirects=False), "track number")
                check(session.get("/helpdesk/track", params={"number": value}, allow_redirects=False), "track GET")
                check(session.post("/helpdesk/submit", data={
                    "csrf_token": token, "name": value, "email": value, "department_id": value, "type_id": value,
                    "subject": value, "description": value}, allow_redirects=False), "submit")
                check(session.post("/helpdesk/submit", data={
                    "csrf_token": token, "name": "N", "email": "n@customers.example",
                    "department_id": value, "type_id": value, "subject": "s", "description": "d"},
                    allow_redirects=False), "submit ids")
                suggest = session.post("/helpdesk/kb/suggest", json={
                    "jsonrpc": "2.0", "method": "call",
                    "params": {"subject": "password", "department_id": value, "form_key": value, "form": value}})
                check(suggest, "kb suggest")
                if suggest.status_code == 200 and "error" in suggest.json():
                    errors.append(f"kb suggest: {suggest.json()['error'].get('message')}")
                check(session.post("/helpdesk/kb/abandoned", data={"csrf_token": token, "form_key": value},
                                   allow_redirects=False), "kb abandoned")
                if who == "a":
                    check(session.get("/my/tickets", params={"search": value, "search_in": value, "sortby": value,
                                                             "filterby": value, "groupby": value, "page": value},
                                      allow_redirects=False), "my tickets")
                    check(session.post("/my/tickets/new", data={
                        "csrf_token": token, "department_id": value, "type_id": value, "subject": value,
                        "description": value}, allow_redirects=False), "new ticket")
                    check(session.post(f"/my/tickets/{ticket_id}/rate", data={
                        "csrf_token": token, "rating": value, "feedback": value}, allow_redirects=False), "rate")
    finally:
        for key, value in saved.items():
            server.set_param(f"helpdesk_portal.{key}", value or False)
    print(f"\n[hostile] hostile values in routes: {sum(statuses.values())} requests, statuses={dict(statuses)}, "
          f"server errors={len(errors)}")
    for error in errors[:20]:
        print("[hostile]   ", error)
    assert not errors


def requests_quote(value):
    """A path segment as a client would send it (percent-encoded UTF-8)."""
    from urllib.parse import quote  # noqa: PLC0415

    return quote(value, safe="")


# ----------------------------------------------------------------------
# uploads over the limit
# ----------------------------------------------------------------------
def test_upload_limits(hostile):
    server = hostile["server"]
    session = portal_session(hostile, "a")
    token = session.csrf("/my/tickets/new")
    max_mb = int(server.execute("ir.config_parameter", "get_param", "helpdesk_portal.attachment_max_size_mb", "10"))
    max_count = int(server.execute("ir.config_parameter", "get_param", "helpdesk_portal.attachment_max_count", "5"))
    subject = f"Too big {uuid.uuid4().hex[:8]}"
    big = [("attachments", ("big.bin", b"\0" * (max_mb * 1024 * 1024 + 1), "application/octet-stream"))]
    response = submit_portal(session, token, hostile["department"], subject, "with a big file", files=big)
    too_big = server.query("SELECT count(*) FROM helpdesk_ticket WHERE name = %s", [subject])[0][0]
    many = [("attachments", (f"f{i}.txt", b"x", "text/plain")) for i in range(max_count + 1)]
    response_many = submit_portal(session, token, hostile["department"], subject, "with many files", files=many)
    too_many = server.query("SELECT count(*) FROM helpdesk_ticket WHERE name = %s", [subject])[0][0]
    print(f"\n[hostile] uploads: {max_mb} MB + 1 byte -> HTTP {response.status_code}, tickets={too_big}; "
          f"{max_count + 1} files -> HTTP {response_many.status_code}, tickets={too_many}")
    assert response.status_code == 200 and too_big == 0
    assert f"{max_mb} MB" in response.text and "big.bin" in response.text
    assert subject in response.text, "the form is shown again with the customer's input"
    assert response_many.status_code == 200 and too_many == 0
    assert f"at most {max_count} files" in response_many.text


# ----------------------------------------------------------------------
# guest tracking brute force
# ----------------------------------------------------------------------
def test_tracking_brute_force_blocked(hostile):
    server = hostile["server"]
    # the victim's ticket, created by mail or by the portal
    victim_email = f"victim.{uuid.uuid4().hex[:6]}@customers.example"
    victim_id = server.execute("helpdesk.ticket", "create", {
        "name": "Victim's ticket", "partner_email": victim_email, "partner_name": "Victim",
        "department_id": hostile["department"], "channel": "phone",
    })
    victim_number = server.execute("helpdesk.ticket", "read", [victim_id], ["number"])[0]["number"]
    prefix, digits = re.match(r"(\D*)(\d+)$", victim_number).groups()
    width = len(digits)
    victim_n = int(digits)
    # the attacker walks the number space from the top, with the victim's email, spoofing
    # X-Forwarded-For on every request
    top = max(victim_n + 20, 1000)
    guesses = [f"{prefix}{n:0{width}d}" for n in range(top, top - 1000, -1)]
    assert victim_number in guesses
    attempts = 1000
    results = collections.Counter()
    found = []
    lock = threading.Lock()

    def attacker(chunk):
        session = WebSession(server, source_address="127.0.0.2")
        token = session.csrf("/helpdesk/track")
        for number in chunk:
            spoof = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            response = session.post("/helpdesk/track", data={"csrf_token": token, "number": number,
                                                               "email": victim_email},
                                    headers={"X-Forwarded-For": spoof, "X-Real-IP": spoof}, allow_redirects=False)
            with lock:
                if response.status_code in (302, 303) or "hdl1." in response.text \
                        or f"/my/tickets/{victim_id}" in response.text or "Victim's ticket" in response.text:
                    found.append(number)
                    results["found"] += 1
                elif "Too many attempts" in response.text:
                    results["blocked"] += 1
                elif response.status_code == 200 and "o_helpdesk_track_sent" in response.text:
                    results["answered"] += 1
                else:
                    results[f"HTTP {response.status_code}"] += 1

    started = time.monotonic()
    chunks = [guesses[i::4] for i in range(4)]
    # the first guesses go through one client so that the counting order is deterministic
    first, rest = guesses[:20], guesses[20:]
    attacker(first)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(attacker, [rest[i::4] for i in range(4)]))
    elapsed = time.monotonic() - started
    del chunks
    # the attacker, still blocked, even with the right pair
    attacker_session = WebSession(server, source_address="127.0.0.2")
    attacker_token = attacker_session.csrf("/helpdesk/track")
    right_pair_blocked = attacker_session.post("/helpdesk/track", data={
        "csrf_token": attacker_token, "number": victim_number, "email": victim_email}, allow_redirects=False)
    # the customer, from another address, gets a link to their ticket in their mailbox
    # (the page itself never opens the ticket)
    customer = WebSession(server, source_address="127.0.0.3")
    customer_token = customer.csrf("/helpdesk/track")
    lookup = customer.post("/helpdesk/track", data={"csrf_token": customer_token, "number": victim_number.lower(),
                                                     "email": victim_email.upper()}, allow_redirects=False)
    server.flush_mail_queue()
    links = []
    for _from, to, message in hostile["stack"].smtp.messages():
        if victim_email not in " ".join(to).lower():
            continue
        for part in message.walk():
            if part.get_content_type() == "text/html":
                links += re.findall(r'href="[^"]*(/my/tickets/\d+\?access_token=hdl1\.[^"]+)"', part.get_content())
    limit_ip = int(server.execute("ir.config_parameter", "get_param", "helpdesk_portal.track_limit_ip", "10"))
    print(f"\n[hostile] tracking brute force: {attempts} attempts in {elapsed:.1f}s from 127.0.0.2 "
          f"(spoofed X-Forwarded-For): {dict(results)}; tickets disclosed={len(found)} (limit per IP {limit_ip}); "
          f"right pair after block -> HTTP {right_pair_blocked.status_code}; "
          f"customer from 127.0.0.3 -> HTTP {lookup.status_code}, links mailed to the victim's address={len(links)}")
    assert sum(results.values()) == attempts
    assert not found, f"brute force disclosed {found}"
    assert results["answered"] <= limit_ip
    assert results["blocked"] >= attempts - limit_ip
    assert right_pair_blocked.status_code == 200 and "Too many attempts" in right_pair_blocked.text
    assert lookup.status_code == 200 and "o_helpdesk_track_sent" in lookup.text, lookup.text[:300]
    assert "hdl1." not in lookup.text and f"/my/tickets/{victim_id}" not in lookup.text
    assert "Victim's ticket" not in lookup.text
    assert links, "the link was mailed to the ticket's address"
    page = customer.get(links[-1])
    assert page.status_code == 200 and victim_number in page.text


def test_make_mail_helper_is_plain_ascii():
    """Sanity of the helper used by the load tests (no server needed)."""
    raw, message_id = make_mail("a@b.example", "c@d.example", "Subject", "Body")
    assert message_id.encode() in raw and raw.startswith(b"From: c@d.example")
