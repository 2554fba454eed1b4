"""Messaging apps under load on a multi-worker Odoo (tests/odoo_server.py's stack): 50
Telegram updates from 10 chats arriving at once on several workers give exactly 10
tickets, every message once (duplicate deliveries included), in order per chat.

The first two messages of each chat are posted at the same moment (two workers race to
create the chat and its ticket), then the others one after the other, as Telegram sends a
chat's updates; each chat's last update is also delivered twice at once."""
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from odoo_server import create_agents, ensure_alias_domain, is_installed

N_CHATS = 10
N_MESSAGES = 5
SECRET = "load-secret-token"


def _install(server, module):
    if not is_installed(server, module):
        ids = server.execute("ir.module.module", "search", [("name", "=", module)])
        server.execute("ir.module.module", "button_immediate_install", ids)
        server.wait_healthy()


@pytest.fixture(scope="module")
def gateway_setup(odoo_stack):
    server = odoo_stack.server
    if not is_installed(server, "helpdesk_gateway"):
        pytest.skip("helpdesk_gateway is not installed")
    _install(server, "mail_gateway_telegram")
    ensure_alias_domain(server)  # the agents' notifications need a sender address
    tag = uuid.uuid4().hex[:6]
    agents = create_agents(server, f"gw{tag}", 2)
    department = server.execute("helpdesk.department", "create", {
        "name": f"Chat load {tag}", "assignment_method": "round_robin", "member_ids": [(6, 0, agents)],
    })
    gateway = server.execute("mail.gateway", "create", {
        "name": f"Load Telegram {tag}", "gateway_type": "telegram", "token": f"1:{tag}",
        "webhook_key": f"load-{tag}", "webhook_secret": SECRET, "integrated_webhook_state": "integrated",
        "helpdesk_department_id": department,
    })
    # the acknowledgements would go to api.telegram.org: not during this test
    crons = [server.ref("helpdesk_gateway.ir_cron_helpdesk_gateway_acknowledge"),
             server.ref("helpdesk_gateway.ir_cron_helpdesk_gateway_outbox")]
    server.execute("ir.cron", "write", crons, {"active": False})
    yield server, gateway, tag
    tickets = server.execute("helpdesk.ticket", "search", [("department_id", "=", department)])
    server.execute("helpdesk.ticket", "write", tickets, {"gateway_ack_pending": False, "gateway_outbox_pending": False})
    server.execute("mail.gateway", "write", [gateway], {"helpdesk_department_id": False})
    server.execute("ir.cron", "write", crons, {"active": True})


def _update(update_id, chat_id, text):
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": f"Chat{chat_id}"},
        "from": {"id": chat_id, "is_bot": False, "first_name": f"Chat{chat_id}"},
    }}


def test_fifty_messages_ten_chats_several_workers(gateway_setup):
    server, gateway, tag = gateway_setup
    url = f"{server.url}/gateway/telegram/load-{tag}/update"
    base_chat = int(time.time()) % 1000000 * 100
    chats = {base_chat + index: [f"{tag} chat {index} message {n}" for n in range(N_MESSAGES)]
             for index in range(N_CHATS)}
    statuses = []

    def post(update_id, chat_id, text):
        response = requests.post(url, data=json.dumps(_update(update_id, chat_id, text)), timeout=120,
                                 headers={"Content-Type": "application/json",
                                          "X-Telegram-Bot-Api-Secret-Token": SECRET})
        statuses.append(response.status_code)

    def one_chat(pool, chat_id, texts):
        ids = [chat_id * 10 + n for n in range(N_MESSAGES)]
        # the first two at the same moment: two workers race for the new chat and its ticket
        first = [pool.submit(post, ids[n], chat_id, texts[n]) for n in (0, 1)]
        for future in first:
            future.result()
        for n in range(2, N_MESSAGES - 1):
            post(ids[n], chat_id, texts[n])
        # the last one delivered twice at once (a provider's retry)
        last = [pool.submit(post, ids[-1], chat_id, texts[-1]) for _ in range(2)]
        for future in last:
            future.result()

    log_offset = server.log_size()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2 * N_CHATS) as pool, ThreadPoolExecutor(max_workers=N_CHATS) as chats_pool:
        for future in [chats_pool.submit(one_chat, pool, chat_id, texts) for chat_id, texts in chats.items()]:
            future.result()
    elapsed = time.monotonic() - started
    print(f"\n[gateway load] {len(statuses)} posts in {elapsed:.1f}s, statuses {sorted(set(statuses))}")
    assert statuses and set(statuses) == {200}

    channels = server.execute("discuss.channel", "search_read",
                              [("gateway_id", "=", gateway)], fields=["gateway_channel_token"])
    assert sorted(int(c["gateway_channel_token"]) for c in channels) == sorted(chats), "one channel per chat"
    tickets = server.execute("helpdesk.ticket", "search_read",
                             [("gateway_channel_id", "in", [c["id"] for c in channels])],
                             fields=["gateway_channel_id", "number", "channel"])
    assert len(tickets) == N_CHATS, "exactly one ticket per chat"
    assert {t["channel"] for t in tickets} == {"telegram"}
    token_of = {c["id"]: int(c["gateway_channel_token"]) for c in channels}
    for ticket in tickets:
        chat_id = token_of[ticket["gateway_channel_id"][0]]
        messages = server.execute("mail.message", "search_read", [
            ("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket["id"]), ("message_type", "=", "comment"),
        ], fields=["body"], order="id")
        bodies = [m["body"].replace("<p>", "").replace("</p>", "") for m in messages]
        expected = chats[chat_id]
        assert sorted(bodies) == sorted(expected), f"every message once on {ticket['number']}"
        # the first two raced; the others came in order after them
        assert set(bodies[:2]) == set(expected[:2]) and bodies[2:] == expected[2:]
    errors, retried = server.classify_log(server.log_since(log_offset))
    print(f"[gateway load] requests run again after a serialization failure: {retried}")
    assert not errors, "\n".join(errors[:3])
