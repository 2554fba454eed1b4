"""1. Email intake: N raw mails (new requests, then replies to them) through the
mail gateway, one transaction per mail like the fetchmail cron. Ours (department
alias -> helpdesk.ticket) vs Odoo CRM (sales team alias -> crm.lead) vs OCA
helpdesk_mgmt (team alias -> helpdesk.ticket)."""
import time
from email.message import EmailMessage
from email.utils import formatdate

from .fixtures import customer_email

WARM_UP_MAILS = 10

SUBJECTS = [
    "Printer on floor {i} does not print",
    "Cannot log in to the customer area ({i})",
    "Question about invoice INV/{i}",
    "Delivery {i} arrived damaged",
    "Password reset link expired ({i})",
]


def build_mails(n, alias, tag):
    """n//2 new requests, then as many replies (In-Reply-To/References), as raw bytes."""
    n_new = max(1, n // 2)
    mails = []
    ids = []
    for i in range(n_new):
        msg = EmailMessage()
        msg_id = f"<bench-{tag}-new-{i}@client.example.com>"
        ids.append(msg_id)
        msg["Message-ID"] = msg_id
        msg["From"] = f"Customer {i % 200} <{customer_email(i % 200)}>"
        msg["To"] = alias
        msg["Subject"] = SUBJECTS[i % len(SUBJECTS)].format(i=i)
        msg["Date"] = formatdate(localtime=False)
        msg.set_content(f"Hello,\n\nRequest number {i}: it stopped working this morning.\n"
                        "Steps: open it, click, nothing happens.\n\nThanks,\nCustomer\n")
        mails.append(msg.as_bytes())
    for j in range(n - n_new):
        i = j % n_new
        msg = EmailMessage()
        msg["Message-ID"] = f"<bench-{tag}-reply-{j}@client.example.com>"
        msg["In-Reply-To"] = ids[i]
        msg["References"] = ids[i]
        msg["From"] = f"Customer {i % 200} <{customer_email(i % 200)}>"
        msg["To"] = alias
        msg["Subject"] = "Re: " + SUBJECTS[i % len(SUBJECTS)].format(i=i)
        msg["Date"] = formatdate(localtime=False)
        msg.set_content(f"Any news about request {i}? It still fails.\n\n> previous message quoted\n")
        mails.append(msg.as_bytes())
    return mails


def process_mails(env, mails, queries=None):
    """Feed every mail to the gateway, committing after each; returns (seconds, errors).
    ``queries``, a list, receives the SQL queries of each mail's transaction (message_process
    and the flush/commit that ends it, as the fetchmail cron runs it)."""
    errors = 0
    t0 = time.perf_counter()
    for raw in mails:
        count = env.cr.sql_log_count
        try:
            env["mail.thread"].message_process(None, raw)
            env.cr.commit()
        except Exception:  # noqa: BLE001 - a benchmark counts failures instead of stopping
            env.cr.rollback()
            errors += 1
        if queries is not None:
            queries.append(env.cr.sql_log_count - count)
    return time.perf_counter() - t0, errors


def run(ctx, report):
    n = ctx.scale["mails"]
    tag = ctx.run_id
    figures = {}
    for system in ("ours", "crm", "oca"):
        env_cm = ctx.env(system)
        if env_cm is None:
            figures[system] = None
            continue
        with env_cm as env:
            alias = ctx.fx(system, env)["alias"]
            model = {"ours": "helpdesk.ticket", "crm": "crm.lead", "oca": "helpdesk.ticket"}[system]
            # a few mails first, not counted: the first system measured would otherwise
            # pay alone for the process's cold caches (imports, compiled templates)
            process_mails(env, build_mails(WARM_UP_MAILS, alias, f"{tag}-{system}-warm-up"))
            before = env[model].search_count([])
            msgs_before = env["mail.message"].search_count([("model", "=", model)])
            mails = build_mails(n, alias, f"{tag}-{system}")
            queries = []
            seconds, errors = process_mails(env, mails, queries)
            n_new = max(1, n // 2)
            q_new = sum(queries[:n_new]) / n_new
            q_reply = sum(queries[n_new:]) / max(1, len(queries) - n_new)
            figures[f"{system}_queries"] = (q_new, q_reply)
            created = env[model].search_count([]) - before
            messages = env["mail.message"].search_count([("model", "=", model)]) - msgs_before
            figures[system] = n / seconds
            ctx.log(f"intake {system}: {n} mails in {seconds:.1f}s, {created} records, "
                    f"{messages} messages, {errors} errors; {q_new:.1f} queries per new mail, "
                    f"{q_reply:.1f} per reply")
            if errors or created != n // 2:
                ctx.log(f"  warning: {system} created {created} records for {n // 2} new mails, {errors} errors")
    queries = {system: figures.get(f"{system}_queries") for system in ("ours", "crm", "oca")}
    per_mail = "; ".join(f"{system} {q[0]:.0f}/{q[1]:.0f}" for system, q in queries.items() if q)
    report("intake", "mails/s", figures["ours"], figures["crm"], oca=figures["oca"], higher_is_better=True,
           note=f"{n} mails: {n // 2} new + {n - n // 2} replies; queries per new mail/per reply: {per_mail}",
           baseline_name="crm.lead via team alias",
           queries_per_mail={system: {"new": round(q[0], 1), "reply": round(q[1], 1)}
                             for system, q in queries.items() if q})
