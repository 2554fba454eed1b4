import re
import unicodedata
from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

#: property types a customer can fill in on the portal and public forms
PORTAL_PROPERTY_TYPES = ("char", "integer", "float", "boolean", "date", "datetime", "selection")
#: longest text accepted in a custom text field of the forms
PORTAL_PROPERTY_MAX_LENGTH = 500
#: the largest integer a property of type integer takes (a JSON number read back by the web client)
PORTAL_PROPERTY_INT_MAX = 2**53
#: longest number text read (int() refuses more than 4300 digits, with a message of its own)
NUMBER_MAX_LENGTH = 40
#: a number as customers type it: digits, one decimal point or comma, optional sign
NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class HelpdeskDepartment(models.Model):
    _inherit = "helpdesk.department"

    portal_ticket_properties = fields.Char(
        "Custom Fields on the Portal",
        help="Labels of the ticket's custom fields that customers fill in on the portal and public "
        "forms when they choose this department, separated by commas; a label ending with * is "
        "required (e.g. 'Account number*, Invoice date'). Text, number, checkbox, date and "
        "selection fields can be asked; the others stay for the agents.",
    )

    def _portal_property_specs(self):
        """``[(label, required)]`` of ``portal_ticket_properties``, in its order."""
        self.ensure_one()
        specs = []
        for chunk in (self.portal_ticket_properties or "").split(","):
            label = chunk.strip()
            required = label.endswith("*")
            label = label.rstrip("*").strip()
            if label:
                specs.append((label, required))
        return specs

    @api.constrains("portal_ticket_properties")
    def _check_portal_ticket_properties(self):
        """Checked when the list is written, not when the definition changes: a field
        removed or retyped from the ticket form is then no longer asked (see
        ``_portal_properties``), it does not block the change."""
        for department in self:
            definitions = department.sudo().ticket_properties_definition or []
            by_label = {(d.get("string") or "").strip().casefold(): d for d in definitions}
            for label, _required in department._portal_property_specs():
                definition = by_label.get(label.casefold())
                if not definition:
                    raise ValidationError(self.env._(
                        "The department %(department)s has no custom field labelled \"%(label)s\" "
                        "to ask on the portal.", department=department.display_name, label=label,
                    ))
                if definition.get("type") not in PORTAL_PROPERTY_TYPES:
                    raise ValidationError(self.env._(
                        "The custom field \"%(label)s\" cannot be asked on the portal: only text, "
                        "number, checkbox, date and selection fields can.", label=label,
                    ))

    def _portal_properties(self):
        """The custom fields customers fill in for this department, in the order of
        ``portal_ticket_properties``: dicts ``{"name", "string", "type", "selection",
        "required", "input"}`` where ``input`` is the name of the form's input (the
        department's id is part of it: each department of the form has its own)."""
        self.ensure_one()
        definitions = self.sudo().ticket_properties_definition or []
        by_label = {(d.get("string") or "").strip().casefold(): d for d in definitions}
        result = []
        for label, required in self._portal_property_specs():
            definition = by_label.get(label.casefold())
            if not definition or definition.get("type") not in PORTAL_PROPERTY_TYPES:
                continue
            result.append({
                "name": definition["name"],
                "string": definition.get("string") or label,
                "type": definition["type"],
                "selection": definition.get("selection") or [],
                "required": required,
                "input": f"property_{self.id}_{definition['name']}",
            })
        return result

    def _portal_read_properties(self, form, errors):
        """The ``ticket_properties`` values of the custom fields in ``form`` (the posted
        strings), checked against their type and whether they are required; each wrong
        one is recorded in ``errors`` under its input's name."""
        self.ensure_one()
        _ = self.env._
        values = {}
        for prop in self._portal_properties():
            raw = form.get(prop["input"])
            raw = raw.strip() if isinstance(raw, str) else ""
            kind = prop["type"]
            if kind == "boolean":
                checked = raw in ("1", "on", "true")
                if prop["required"] and not checked:
                    errors[prop["input"]] = _("Please tick \"%s\".", prop["string"])
                values[prop["name"]] = checked
                continue
            if not raw:
                if prop["required"]:
                    errors[prop["input"]] = _("Please fill in \"%s\".", prop["string"])
                continue
            try:
                values[prop["name"]] = self._portal_property_value(prop, raw)
            except ValueError as error:
                errors[prop["input"]] = str(error)
        return values

    def _portal_property_value(self, prop, raw):
        """The value of ``raw`` (a non-empty string) for the custom field ``prop``;
        ValueError with the message for the customer when it is not one."""
        _ = self.env._
        kind = prop["type"]
        label = prop["string"]
        if kind == "char":
            if len(raw) > PORTAL_PROPERTY_MAX_LENGTH:
                raise ValueError(_("\"%(label)s\" is limited to %(count)s characters.",
                                   label=label, count=PORTAL_PROPERTY_MAX_LENGTH))
            return raw
        if kind in ("integer", "float"):
            # a number typed in Thai (๑๒), Arabic-Indic (١٢) or Persian (۱۲) digits, with
            # the Arabic decimal separator (٫), is that number: stored as a number, it
            # reads the same for the agents. Superscripts (²) and other non-decimal
            # characters are no digits
            number_text = "".join(
                str(unicodedata.decimal(char)) if char.isdecimal() else char for char in raw
            ).replace("\u066b", ".")
            if (
                len(number_text) > NUMBER_MAX_LENGTH or not number_text.isascii()
                or not NUMBER_RE.match(number_text)
                or (kind == "integer" and not number_text.lstrip("+-").isdigit())
            ):
                if len(number_text) > NUMBER_MAX_LENGTH and NUMBER_RE.match(number_text):
                    raise ValueError(_("\"%s\" is too large.", label))
                if kind == "integer":
                    raise ValueError(_("\"%s\" must be a whole number.", label))
                raise ValueError(_("\"%s\" must be a number.", label))
            number = int(number_text) if kind == "integer" else float(number_text.replace(",", "."))
            if abs(number) > PORTAL_PROPERTY_INT_MAX:
                raise ValueError(_("\"%s\" is too large.", label))
            return number
        if kind == "date":
            try:
                return fields.Date.to_string(datetime.strptime(raw, "%Y-%m-%d").date())
            except ValueError:
                raise ValueError(_("\"%s\" must be a date.", label)) from None
        if kind == "datetime":
            try:
                moment = datetime.strptime(raw.replace("T", " ")[:16], "%Y-%m-%d %H:%M")
            except ValueError:
                raise ValueError(_("\"%s\" must be a date and a time.", label)) from None
            # typed in the visitor's time zone, kept in UTC like every datetime
            tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
            moment = tz.localize(moment).astimezone(pytz.utc).replace(tzinfo=None)
            return fields.Datetime.to_string(moment)
        if kind == "selection":
            if raw not in {key for key, _label in prop["selection"]}:
                raise ValueError(_("Please choose one of the values of \"%s\".", label))
            return raw
        raise ValueError(_("\"%s\" cannot be filled in here.", label))
