"""Pure helpers of the helpdesk mail gateway (no ORM access)."""
import hashlib
import re

import psycopg2
import psycopg2.errors

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.helpdesk_ticket.models.helpdesk_ticket import MAIL_SCHEDULER_CRON_XMLID

# Database errors after which the same delivery succeeds when tried again: the transaction is
# rolled back and Odoo (or the MTA / the IMAP fetch) retries it. Concurrency errors
# are Odoo's own list; OperationalError/InterfaceError cover a lost connection.
TRANSIENT_DATABASE_ERRORS = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)
# ... except a cancelled statement (statement timeout): the same mail would time out
# again on every retry, its sender must be told
PERMANENT_DATABASE_ERRORS = (psycopg2.errors.QueryCanceled,)


def is_transient_database_error(error):
    """Whether the same delivery succeeds when tried again after ``error``."""
    return isinstance(error, TRANSIENT_DATABASE_ERRORS) and not isinstance(error, PERMANENT_DATABASE_ERRORS)


# Reply / forward markers used by mail clients, in the languages our customers write in.
# Single letters ("R:", "I:") are left out on purpose: they are real words too often.
_SUBJECT_PREFIXES = (
    "re", "aw", "sv", "vs", "antw", "antwoord", "odp", "ynt", "yanıt", "rif", "réf", "ref", "res",
    "resp", "fw", "fwd", "fwrd", "tr", "trans", "wg", "rv", "enc", "doorst", "vl", "vb", "pd",
    "ilt", "İlt", "apl", "atb", "aþ", "πρθ", "απ", "σχετ", "отв", "ответ", "пер", "пересл", "fs",
    "رد", "ردود", "پاسخ", "ارسال", "ตอบ", "ตอบกลับ", "ส่งต่อ", "回复", "回覆", "答复", "转发",
    "轉寄", "転送", "返信", "답장", "전달", "השב", "הועבר", "תשובה",
)
_PREFIX_RE = re.compile(
    r"^\s*(?:%s)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*" % "|".join(
        re.escape(p) for p in sorted(_SUBJECT_PREFIXES, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
# "[HD-00042]" — any sequence prefix made of letters, a dash and digits
TICKET_TOKEN_RE = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9]{0,9}-\d{1,12})\s*\]")
_FORWARD_WRAPPER_RE = re.compile(r"^\s*\[(?:fwd?|fw)\s*:\s*(.*)\]\s*$", re.IGNORECASE)

# charset labels found in the field that Python's codecs do not know
CHARSET_ALIASES = {
    b"windows-874": b"cp874",
    b"x-windows-874": b"cp874",
    b"ms874": b"cp874",
    b"x-tis620": b"tis-620",
    b"tis620-0": b"tis-620",
    b"iso-8859-11": b"tis-620",
    b"x-sjis": b"shift_jis",
    b"x-euc-jp": b"euc-jp",
    b"ks_c_5601-1987": b"cp949",
    b"x-mac-roman": b"mac-roman",
    b"unicode-1-1-utf-7": b"utf-7",
    b"utf8": b"utf-8",
}
_CHARSET_RE = re.compile(
    rb"(=\?|charset\s*=\s*\"?)(%s)(?=[\"?;\s]|$)" % b"|".join(re.escape(k) for k in CHARSET_ALIASES),
    re.IGNORECASE | re.MULTILINE,
)

#: Odoo's mail scheduler, woken when a transaction queued e-mails (the core's constant)
MAIL_QUEUE_CRON_XMLID = MAIL_SCHEDULER_CRON_XMLID
#: key of a new ticket's route values (mail.thread routing -> helpdesk.ticket.message_new)
#: carrying why the mail creating it is automatic
AUTO_REASON_KEY = "helpdesk_auto_reason"

AUTO_REPLY_LOCALPARTS = {
    "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
    "do_not_reply", "bounce", "bounces",
}


def one_line(text):
    """``text`` on one line: every run of whitespace, line breaks included (also
    vertical tab, form feed, NEL...: no mail header may hold them), made one space."""
    return " ".join((text or "").split())


def clean_subject(subject):
    """Ticket name from a mail subject: reply/forward markers and ticket tokens removed."""
    text = one_line(subject)
    previous = None
    while text != previous:
        previous = text
        text = _PREFIX_RE.sub("", text)
        text = TICKET_TOKEN_RE.sub("", text, count=1) if TICKET_TOKEN_RE.match(text.strip()) else text
        wrapped = _FORWARD_WRAPPER_RE.match(text)
        if wrapped:
            text = wrapped.group(1)
        text = text.strip()
    return text


def find_ticket_tokens(subject):
    """Ticket numbers quoted as ``[HD-00042]`` in a subject, in order of appearance."""
    return [token.upper() for token in TICKET_TOKEN_RE.findall(subject or "")]


def normalize_charset_labels(raw):
    """Rewrite charset labels unknown to Python (e.g. windows-874) to their known equivalent,
    in MIME parameters and in encoded-word headers, so that parsing never fails on them."""
    return _CHARSET_RE.sub(lambda m: m.group(1) + CHARSET_ALIASES[m.group(2).lower()], raw)


def fallback_message_id(message):
    """Deterministic Message-Id for a mail that has none, so that a second delivery of the
    same mail is recognised as a duplicate."""
    digest = hashlib.sha256()
    for header in ("From", "To", "Cc", "Date", "Subject"):
        digest.update(str(message.get(header, "")).encode("utf-8", "surrogateescape") + b"\0")
    try:
        payload = message.as_bytes()
        body = payload.split(b"\n\n", 1)[-1] if b"\n\n" in payload else payload.split(b"\r\n\r\n", 1)[-1]
    except Exception:  # noqa: BLE001 - unserialisable mail: headers are all we have
        body = b""
    digest.update(body)
    return "<helpdesk-nomsgid-%s@mail-gateway.invalid>" % digest.hexdigest()[:40]


def auto_submitted_reason(message):
    """Why ``message`` (an email.message.Message) is an automatic message, or ''.

    RFC 3834 ``Auto-Submitted`` other than ``no``, the de-facto ``X-Autoreply`` /
    ``X-Autorespond`` headers, ``Precedence`` bulk, junk or
    list and mailing-list headers."""
    auto_submitted = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "Auto-Submitted: %s" % auto_submitted
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = str(message.get(header, "") or "").strip().lower()
        if value and value not in ("no", "false", "0"):
            return "%s: %s" % (header, value)
    precedence = str(message.get("Precedence", "") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "Precedence: %s" % precedence
    if message.get("List-Id") or (message.get("List-Unsubscribe") and message.get("List-Post")):
        return "mailing list (List-Id: %s)" % str(message.get("List-Id", "") or "").strip()
    return ""


_DMARC_RE = re.compile(r"\bdmarc\s*=\s*(\w+)", re.IGNORECASE)
_DMARC_FROM_RE = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def dmarc_failed_domain(authentication_results, from_domain):
    """The domain whose DMARC check failed according to an ``Authentication-Results``
    header value (RFC 8601) added by our receiving server, when it is the domain of
    the ``From`` address; '' otherwise (pass, none, no result, another domain)."""
    text = authentication_results or ""
    from_domain = (from_domain or "").strip().lower()
    for clause in text.split(";"):
        verdict = _DMARC_RE.search(clause)
        if not verdict or verdict.group(1).lower() != "fail":
            continue
        checked = _DMARC_FROM_RE.search(clause)
        domain = checked.group(1).lower() if checked else from_domain
        if domain and domain == from_domain:
            return domain
    return ""
