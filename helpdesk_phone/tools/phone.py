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
import unicodedata

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools import phone_validation

try:
    import phonenumbers
except ImportError:  # phone_validation then formats nothing: numbers stay as written
    phonenumbers = None

#: the separators people write in numbers (the same set as mail.thread.phone's searches)
SEPARATORS = re.compile(r"[\s\\./()\-]")


#: characters no number holds and PostgreSQL refuses (NUL) or that hide text (controls)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


#: LIKE's wildcards and escape character: no number holds them, and a text search
#: must not read "%%%" as "any number"
LIKE_CHARACTERS = re.compile(r"[%_\\]")


def text_search_term(number):
    """The text an unreadable number is searched by (``ilike``): as written, without
    control characters nor LIKE's wildcards."""
    return LIKE_CHARACTERS.sub("", CONTROL_CHARACTERS.sub("", number or "")).strip()


def strip_separators(number):
    """The number without spaces, dots, dashes, slashes and brackets."""
    return SEPARATORS.sub("", number or "")


def ascii_digits(number):
    """``number`` with the decimal digits of every script written as ASCII digits:
    Thai (๐๘๑), Arabic-Indic (٠٨١), Persian (۰۸۱), full-width (０８１)... Other
    characters, superscripts (²) included, are kept as they are."""
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() else char for char in number or ""
    )


def tel_uri_number(value):
    """The number of an RFC 3966 ``tel:`` URI as a person would write it, for a
    page that keeps numbers as written: ``tel:+66-81-234-5678`` gives
    ``+66-81-234-5678``; a local number with a global context
    (``tel:234-5678;phone-context=+66-81``) is put after its prefix
    (``+66-81 234-5678``) so that it reads the same in every country; an extension
    (``;ext=12``) is kept as `` ext. 12``; other parameters and a domain context
    are dropped. A value that is not a ``tel:`` URI is returned stripped."""
    value = (value or "").strip()
    if value[:4].lower() != "tel:":
        return value
    number, *parameters = value[4:].split(";")
    number = number.strip()
    params = {}
    for parameter in parameters:
        name, _sep, param_value = parameter.partition("=")
        params.setdefault(name.strip().lower(), param_value.strip())
    context = params.get("phone-context", "")
    if number and not number.startswith("+") and context.startswith("+"):
        number = f"{context} {number}"
    extension = params.get("ext", "")
    if number and extension:
        number = f"{number} ext. {extension}"
    return number


def parse_phone(number, country_code=None):
    """The ``phonenumbers.PhoneNumber`` of a valid number, else None. Digits of any
    script are read as ASCII digits. A number written with the international prefix
    ``00`` is read as ``+`` first, also when the country's own prefix differs
    (Thailand dials 001, people still write 0066)."""
    number = ascii_digits(number).strip()
    if not number or phonenumbers is None:
        return None
    candidates = [number]
    compact = strip_separators(number)
    if compact.startswith("00") and len(compact) > 4:
        # "00" read as "+" first: where the country's own prefixes start with 00
        # (Thailand's 001, 006, 007...), "0066 61 878 7568" is also "006" + 66 1878
        # 7568, another valid number; nobody dials their own country through an
        # international prefix, the written "0066" means +66
        candidates.insert(0, "+" + compact[2:])
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
    # the national form of the number itself: an extension (``ext. 12``) is no part
    # of the digits stored numbers are compared with
    without_extension = phonenumbers.PhoneNumber()
    without_extension.merge_from(parsed)
    without_extension.extension = None
    national = strip_separators(
        phonenumbers.format_number(without_extension, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    return e164, {e164, national} - {""}
