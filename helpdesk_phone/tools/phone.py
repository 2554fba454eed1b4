"""Phone numbers for the helpdesk, in one place: pure functions around Odoo's
``phone_validation`` (no ORM), usable by any addon that needs the same rules
(e.g. messaging-app numbers)::

    from odoo.addons.helpdesk_phone.tools import phone as hd_phone

    hd_phone.normalize_phone("081-234-5678", "TH")       # '+66812345678'
    hd_phone.normalize_phone("0066 81 234 5678", "TH")   # '+66812345678'
    hd_phone.normalize_phone("not a number", "TH")       # False (never raises)
    hd_phone.search_forms("081-234-5678", "TH")          # ('+66812345678', {'+66812345678', '0812345678'})

``country_code`` is the ISO code of the country the number is read in (the
contact's, else the company's); a number written with ``+`` or ``00`` needs none.
"""
import re

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools import phone_validation

try:
    import phonenumbers
except ImportError:  # phone_validation then formats nothing: numbers stay as written
    phonenumbers = None

#: the separators people write in numbers (the same set as mail.thread.phone's searches)
SEPARATORS = re.compile(r"[\s\\./()\-]")


def strip_separators(number):
    """The number without spaces, dots, dashes, slashes and brackets."""
    return SEPARATORS.sub("", number or "")


def parse_phone(number, country_code=None):
    """The ``phonenumbers.PhoneNumber`` of a valid number, else None. A number
    written with the international prefix ``00`` is read as ``+`` when the
    country's own prefix differs (Thailand dials 001, people still write 0066)."""
    number = (number or "").strip()
    if not number or phonenumbers is None:
        return None
    candidates = [number]
    compact = strip_separators(number)
    if compact.startswith("00") and len(compact) > 4:
        candidates.append("+" + compact[2:])
    for candidate in candidates:
        try:
            parsed = phone_validation.phone_parse(candidate, country_code or None)
        except (UserError, ValueError):
            continue
        if parsed:
            return parsed
    return None


def normalize_phone(number, country_code=None):
    """The E.164 form of ``number`` (``+66812345678``), or False when it cannot be
    read as a valid number (kept as written by the callers). Never raises."""
    parsed = parse_phone(number, country_code)
    if parsed is None:
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def search_forms(number, country_code=None):
    """``(e164, forms)``: the E.164 form of ``number`` (or False) and the digit
    strings a stored number may have once its separators are removed: the E.164
    form and the national one with its trunk prefix (``0812345678``). Empty forms
    when the number cannot be read: callers then search it as text."""
    parsed = parse_phone(number, country_code)
    if parsed is None:
        return False, set()
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = strip_separators(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    return e164, {e164, national} - {""}
