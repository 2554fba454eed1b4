import re
import unicodedata

from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.exceptions import ValidationError

from .helpdesk_ticket import CHANNELS, PRIORITIES

# Keywords are separated by commas (Latin or Arabic), semicolons or new lines.
KEYWORD_SEPARATORS = re.compile(r"[,;\n\u060c\u061b]+")

# Arabic and Persian keyboards produce different code points for the same letters;
# fold them so a keyword typed on one keyboard matches text typed on the other.
# Zero-width (non-)joiners are optional in Persian spelling: ignore them.
_FOLD_TABLE = str.maketrans({
    "\u064a": "\u06cc",  # ARABIC LETTER YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ARABIC LETTER ALEF MAKSURA -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC LETTER KAF -> KEHEH
    "\u200c": None,  # ZERO WIDTH NON-JOINER
    "\u200d": None,  # ZERO WIDTH JOINER
    "\u00a0": " ",  # NO-BREAK SPACE
})


def fold_text(text):
    """Normalize text for case-insensitive substring matching in any script.

    NFC composition (so Thai tone marks and precomposed Latin letters compare
    equal however they were typed), Unicode case folding, Arabic/Persian letter
    folding and collapsed whitespace."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD_TABLE)
    return " ".join(text.split())


class HelpdeskRoutingRule(models.Model):
    _name = "helpdesk.routing.rule"
    _inherit = ["helpdesk.cached.config.mixin"]
    _description = "Helpdesk Routing Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Rules are evaluated in this order.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, default=lambda self: self.env.company,
        help="Leave empty to apply the rule to the tickets of every company.",
    )
    # -- conditions ----------------------------------------------------
    department_id = fields.Many2one(
        "helpdesk.department", string="Only in Department", check_company=True, ondelete="cascade",
        help="Only evaluate this rule for tickets of this department (as set by the channel or by an "
        "earlier rule). Leave empty for every ticket.",
    )
    keywords = fields.Text(
        translate=False,
        help="Words or phrases, separated by commas or new lines, searched in the subject and the "
        "description (case-insensitive substring match, so it works for Thai or Persian text). "
        "Leave empty to ignore the content.",
    )
    keyword_match = fields.Selection(
        [("any", "Any keyword"), ("all", "All keywords")], default="any", required=True,
        string="Keyword Match",
    )
    sender_pattern = fields.Char(
        "Sender",
        help="A customer email address (jane@example.com) or a domain (@example.com, which also "
        "matches its sub-domains). Several patterns can be separated by commas.",
    )
    channel = fields.Selection(CHANNELS, help="Only tickets arriving through this channel. Empty: every channel.")
    # -- actions -------------------------------------------------------
    set_department_id = fields.Many2one(
        "helpdesk.department", string="Set Department", check_company=True, ondelete="cascade",
    )
    set_priority = fields.Selection(PRIORITIES, string="Set Priority")
    set_type_id = fields.Many2one("helpdesk.ticket.type", string="Set Type", check_company=True, ondelete="set null")
    add_tag_ids = fields.Many2many(
        "helpdesk.tag", "helpdesk_routing_rule_tag_rel", "rule_id", "tag_id", string="Add Tags",
        check_company=True,
    )
    set_user_id = fields.Many2one(
        "res.users", string="Assign to", ondelete="set null",
        domain="[('share', '=', False)]",
        help="Assign the ticket to this agent instead of using the department's assignment method.",
    )
    stop = fields.Boolean(
        "Stop Processing", help="When this rule matches, do not evaluate the rules that follow it.",
    )

    @api.constrains("name", "keywords", "sender_pattern", "channel", "department_id")
    def _check_has_condition(self):
        for rule in self:
            if not (rule._keyword_list() or rule._sender_patterns() or rule.channel or rule.department_id):
                raise ValidationError(self.env._(
                    "The routing rule %s has no condition: give it keywords, a sender, a channel or a department.",
                    rule.name,
                ))

    @api.constrains("name", "set_department_id", "set_priority", "set_type_id", "add_tag_ids", "set_user_id", "stop")
    def _check_has_action(self):
        for rule in self:
            if not (rule.set_department_id or rule.set_priority or rule.set_type_id or rule.add_tag_ids
                    or rule.set_user_id or rule.stop):
                raise ValidationError(self.env._("The routing rule %s does nothing: give it an action.", rule.name))

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------
    def _keyword_list(self):
        self.ensure_one()
        return [kw for kw in (fold_text(part) for part in KEYWORD_SEPARATORS.split(self.keywords or "")) if kw]

    def _sender_patterns(self):
        self.ensure_one()
        return [p.strip().lower() for p in (self.sender_pattern or "").split(",") if p.strip()]

    @api.model
    def _sender_matches(self, patterns, email):
        normalized = tools.email_normalize(email or "", strict=False) or ""
        if not normalized:
            return False
        domain = normalized.rpartition("@")[2]
        for pattern in patterns:
            if pattern.startswith("@"):
                wanted = pattern[1:]
                if domain == wanted or domain.endswith("." + wanted):
                    return True
            elif normalized == (tools.email_normalize(pattern, strict=False) or pattern):
                return True
        return False

    def _matches(self, data):
        """Whether the rule's conditions hold for ``data``: a dict with ``text`` (folded
        subject and description), ``email``, ``channel`` and ``department_id``."""
        self.ensure_one()
        if self.department_id and self.department_id.id != data["department_id"]:
            return False
        if self.channel and self.channel != data["channel"]:
            return False
        patterns = self._sender_patterns()
        if patterns and not self._sender_matches(patterns, data["email"]):
            return False
        keywords = self._keyword_list()
        if keywords:
            found = [kw in data["text"] for kw in keywords]
            if not (all(found) if self.keyword_match == "all" else any(found)):
                return False
        return True

    @api.model
    def _prepare_match_data(self, subject, description, email, channel, department_id):
        body = "" if tools.is_html_empty(description) else tools.html2plaintext(description)
        return {
            "text": fold_text(f"{subject or ''}\n{body}"),
            "email": email or "",
            "channel": channel,
            "department_id": department_id or False,
        }

    @api.model
    def _rules_for_company(self, company):
        """Active rules applicable to ``company``, in evaluation order.

        Rules are configuration evaluated on behalf of the system whatever the
        channel (portal and public users cannot read them): read them as superuser."""
        return self.sudo().browse(self._rule_ids_for_company(company.id))

    @api.model
    @tools.ormcache("company_id")
    def _rule_ids_for_company(self, company_id):
        """Ids of the active rules of ``company_id`` (and of every company), in
        evaluation order. Cached per worker (a mail fetch, a batch of portal forms
        do not search them each time), cleared when a rule is created, changed or
        deleted."""
        return tuple(self.sudo().with_context(active_test=True).search(
            [("company_id", "in", [False, company_id])], order="sequence, id"
        ).ids)

    def _evaluate(self, data):
        """Run the rules of ``self`` (ordered) over ``data``.

        Returns ``(applied_rules, values)``: ``values`` holds the changes to write on the
        ticket. A department set by a rule is visible to the department scope of the
        rules that follow it."""
        data = dict(data)
        applied = self.browse()
        values = {}
        tag_ids = []
        for rule in self:
            if not rule._matches(data):
                continue
            applied |= rule
            if rule.set_department_id:
                values["department_id"] = rule.set_department_id.id
                data["department_id"] = rule.set_department_id.id
            if rule.set_priority:
                values["priority"] = rule.set_priority
            if rule.set_type_id:
                values["type_id"] = rule.set_type_id.id
            if rule.set_user_id:
                values["user_id"] = rule.set_user_id.id
            for tag in rule.add_tag_ids:
                if tag.id not in tag_ids:
                    tag_ids.append(tag.id)
            if rule.stop:
                break
        if tag_ids:
            values["tag_ids"] = [Command.link(tag_id) for tag_id in tag_ids]
        return applied, values

    def _describe_actions(self):
        """Human-readable summary of what the rule does (chatter and test box)."""
        self.ensure_one()
        parts = []
        if self.set_department_id:
            parts.append(self.env._("department: %s", self.set_department_id.display_name))
        if self.set_priority:
            parts.append(self.env._(
                "priority: %s", dict(self._fields["set_priority"]._description_selection(self.env))[self.set_priority]
            ))
        if self.set_type_id:
            parts.append(self.env._("type: %s", self.set_type_id.display_name))
        if self.add_tag_ids:
            parts.append(self.env._("tags: %s", ", ".join(self.add_tag_ids.mapped("display_name"))))
        if self.set_user_id:
            parts.append(self.env._("assigned to: %s", self.set_user_id.display_name))
        if self.stop:
            parts.append(self.env._("stop"))
        return "; ".join(parts)

    def _log_message(self):
        """Chatter body: one line per applied rule."""
        lines = [
            Markup("<li>%s</li>") % self.env._("Routing rule “%(rule)s” applied (%(actions)s)",
                                              rule=rule.name, actions=rule._describe_actions())
            for rule in self
        ]
        return Markup("<ul class='mb-0'>%s</ul>") % Markup("").join(lines)

    def action_open_test_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Test Routing Rules"),
            "res_model": "helpdesk.routing.rule.test",
            "view_mode": "form",
            "target": "new",
            "context": {"default_rule_id": self[:1].id},
        }
