import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, email_normalize, sql

_logger = logging.getLogger(__name__)

#: tickets whose agents are told per transaction of the assignment notice job
ASSIGNMENT_NOTICE_BATCH_SIZE = 200
#: the cron of Odoo's mail queue (mail.mail), woken when a job queues mails
MAIL_SCHEDULER_CRON_XMLID = "mail.ir_cron_mail_scheduler_action"

PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Urgent"),
]

CHANNELS = [
    ("email", "Email"),
    ("portal", "Portal"),
    ("web", "Web Form"),
    ("phone", "Phone"),
    ("chat", "Live Chat"),
    ("internal", "Internal"),
    ("api", "API"),
]

#: key, in the transaction's cache (``cr.cache``), of the ids of the tickets whose
#: creation is being processed (routing, assignment) until ``_on_created``
CREATING_CACHE_KEY = "helpdesk.ticket.creating"


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _description = "Helpdesk Ticket"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "mail.tracking.duration.mixin",
        "rating.mixin",
        "helpdesk.job.mixin",
    ]
    _order = "priority desc, id desc"
    _primary_email = "partner_email"
    _track_duration_field = "stage_id"
    _mail_post_access = "read"
    _rec_names_search = ["number", "name", "partner_email", "partner_name"]

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    # given on creation: Odoo would otherwise write it on the ticket the first time a
    # message of the ticket is notified, in the jobs that send them, which then lock
    # the ticket against each other (see ``_notify_get_recipients_groups``)
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
    number = fields.Char(
        "Ticket Number", readonly=True, copy=False, index=True, default=False,
        help="Unique reference given on creation (e.g. HD-00042). Quote it in every message.",
    )
    name = fields.Char("Subject", required=True, tracking=True, index="trigram")
    description = fields.Html(sanitize=True, sanitize_style=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", compute="_compute_company_id", store=True, readonly=False, required=True,
        index=True, precompute=True,
    )
    department_id = fields.Many2one(
        "helpdesk.department", string="Department", tracking=True, index=True,
        check_company=True, ondelete="restrict",
    )
    user_id = fields.Many2one(
        "res.users", string="Assigned to", tracking=True, index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    stage_id = fields.Many2one(
        "helpdesk.stage", string="Stage", compute="_compute_stage_id", store=True, readonly=False,
        precompute=True, tracking=True, index=True, ondelete="restrict", copy=False,
        group_expand="_read_group_stage_ids",
        domain="['|', ('department_ids', '=', False), ('department_ids', 'in', department_id)]",
    )
    closed = fields.Boolean(related="stage_id.closed", store=True, index=True, string="Is Closed")
    waiting_customer = fields.Boolean(related="stage_id.waiting_customer", string="Is Waiting on Customer")
    priority = fields.Selection(PRIORITIES, default="1", required=True, tracking=True, index=True)
    tag_ids = fields.Many2many("helpdesk.tag", string="Tags")
    type_id = fields.Many2one("helpdesk.ticket.type", string="Type", tracking=True, index="btree_not_null")
    channel = fields.Selection(CHANNELS, default="internal", required=True, index=True)
    color = fields.Integer("Color Index")

    partner_id = fields.Many2one("res.partner", string="Customer", tracking=True, index=True)
    commercial_partner_id = fields.Many2one(
        "res.partner", string="Customer Company", related="partner_id.commercial_partner_id",
        store=True, index=True,
    )
    partner_name = fields.Char(
        "Customer Name", compute="_compute_partner_fields", store=True, readonly=False, precompute=True
    )
    partner_email = fields.Char(
        "Customer Email", compute="_compute_partner_fields", store=True, readonly=False, precompute=True,
        index="trigram",
    )
    partner_phone = fields.Char(
        "Customer Phone", compute="_compute_partner_fields", store=True, readonly=False, precompute=True
    )

    lead_id = fields.Many2one("crm.lead", string="Opportunity", index="btree_not_null", copy=False, tracking=True)
    merged_into_id = fields.Many2one(
        "helpdesk.ticket", string="Merged Into", index="btree_not_null", copy=False, readonly=True
    )
    # custom fields defined per department (like project tasks' properties)
    ticket_properties = fields.Properties(
        "Custom Fields", definition="department_id.ticket_properties_definition", copy=True,
    )

    date_assigned = fields.Datetime(
        "Assigned on", compute="_compute_date_assigned", store=True, readonly=True, copy=False
    )
    assignment_notice_pending = fields.Boolean(
        "Assignment Notice Pending", copy=False, readonly=True,
        help="The agent assigned automatically is told by the assignment notice job, within seconds.",
    )
    date_first_response = fields.Datetime("First Response", readonly=True, copy=False)
    date_last_customer_message = fields.Datetime("Last Customer Message", readonly=True, copy=False)
    date_last_agent_message = fields.Datetime("Last Agent Message", readonly=True, copy=False)
    date_closed = fields.Datetime(
        "Closed on", compute="_compute_date_closed", store=True, readonly=True, copy=False, index=True
    )
    reopen_count = fields.Integer("Reopened", readonly=True, copy=False, default=0)
    stage_before_waiting_id = fields.Many2one(
        "helpdesk.stage", string="Stage Before Waiting", copy=False, readonly=True,
        help="Open stage the ticket had before waiting on the customer; a message of the "
        "customer (any channel) moves the ticket back to it.",
    )
    date_last_stage_update = fields.Datetime(
        "Last Stage Update", compute="_compute_date_last_stage_update", store=True, readonly=True,
        copy=False, index=True,
        help="When the ticket entered its current stage (used by the time rules, e.g. closing "
        "tickets left waiting on the customer).",
    )
    date_agent_idle_since = fields.Datetime(
        "No Agent Reply Since", compute="_compute_date_agent_idle_since", store=True, readonly=True,
        copy=False,
        help="Last agent message, or the assignment if the agent has not written since: the "
        "reminder time rule counts from this date.",
    )

    # customer panel on the form
    partner_ticket_ids = fields.Many2many(
        "helpdesk.ticket", compute="_compute_partner_history", string="Customer's Other Tickets"
    )
    partner_ticket_count = fields.Integer(compute="_compute_partner_history")
    partner_opportunity_ids = fields.Many2many(
        "crm.lead", compute="_compute_partner_history", string="Customer's Open Opportunities"
    )
    partner_opportunity_count = fields.Integer(compute="_compute_partner_history")

    _sql_constraints = [
        (
            "number_company_uniq",
            "unique (company_id, number)",
            "Ticket numbers must be unique per company.",
        ),
    ]

    def init(self):
        """Indexes of the paths measured by ``make bench`` at 1,000,000 tickets (see
        BENCHMARKS.md), each one removing a sequential scan or a full sort of the table."""
        super().init()
        cr = self.env.cr
        # default list: open tickets in the list order, so LIMIT 80 stops early
        sql.create_index(cr, "helpdesk_ticket_open_list_index", self._table, ["priority DESC", "id DESC"],
                         where="active AND (closed IS NULL OR closed = false)")
        # overview cards: open tickets grouped by department, agent, priority (index-only scan)
        sql.create_index(cr, "helpdesk_ticket_open_department_index", self._table,
                         ["department_id", "user_id", "priority"],
                         where="active AND (closed IS NULL OR closed = false)")
        # exact lookup by customer email (guest tracking, API); the field's trigram index serves ilike
        sql.create_index(cr, "helpdesk_ticket_partner_email_btree_index", self._table, ["partner_email"])
        # overview KPI: tickets answered in the last days
        sql.create_index(cr, "helpdesk_ticket_date_first_response_index", self._table, ["date_first_response"],
                         where="date_first_response IS NOT NULL")
        # the assignment notice job reads the (few) flagged tickets only
        sql.create_index(cr, "helpdesk_ticket_assignment_notice_index", self._table, ["id"],
                         where="assignment_notice_pending")
        # number search with ilike (search view, portal "search in number", name_search)
        if self.env.registry.has_trigram:
            sql.create_index(cr, "helpdesk_ticket_number_trgm_index", self._table, ["number gin_trgm_ops"],
                             method="gin")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("number", "name")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = f"{ticket.number} {ticket.name or ''}".strip() if ticket.number else ticket.name

    @api.depends("department_id")
    def _compute_company_id(self):
        for ticket in self:
            if ticket.department_id:
                ticket.company_id = ticket.department_id.company_id
            elif not ticket.company_id:
                ticket.company_id = self.env.company

    @api.depends("department_id")
    def _compute_stage_id(self):
        Stage = self.env["helpdesk.stage"]
        cache = {}
        for ticket in self:
            department = ticket.department_id
            if ticket.stage_id and (
                not ticket.stage_id.department_ids or department in ticket.stage_id.department_ids
            ):
                continue
            if department.id not in cache:
                cache[department.id] = Stage._first_open_stage(department)
            ticket.stage_id = cache[department.id]

    @api.depends("partner_id")
    def _compute_partner_fields(self):
        for ticket in self:
            partner = ticket.partner_id
            if partner:
                ticket.partner_name = partner.name
                ticket.partner_email = partner.email or ticket.partner_email
                ticket.partner_phone = partner.phone or partner.mobile or ticket.partner_phone

    @api.depends("user_id")
    def _compute_date_assigned(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.date_assigned = now if ticket.user_id else False

    @api.depends("stage_id")
    def _compute_date_closed(self):
        now = fields.Datetime.now()
        for ticket in self:
            if ticket.stage_id.closed:
                ticket.date_closed = ticket.date_closed or now
            else:
                ticket.date_closed = False

    @api.depends("stage_id")
    def _compute_date_last_stage_update(self):
        self.date_last_stage_update = fields.Datetime.now()

    @api.depends("date_last_agent_message", "date_assigned")
    def _compute_date_agent_idle_since(self):
        for ticket in self:
            dates = [d for d in (ticket.date_last_agent_message, ticket.date_assigned) if d]
            ticket.date_agent_idle_since = max(dates) if dates else False

    @api.depends("partner_id")
    def _compute_partner_history(self):
        """Other tickets and open opportunities of the customer's company, for the form.

        Grouped: one search per model whatever the number of tickets."""
        commercial = self.partner_id.commercial_partner_id
        tickets_by_partner = {}
        leads_by_partner = {}
        if commercial:
            others = self.search(
                [("commercial_partner_id", "in", commercial.ids)], order="id desc", limit=500
            )
            for other in others:
                tickets_by_partner.setdefault(other.commercial_partner_id.id, []).append(other.id)
            Lead = self.env["crm.lead"]
            if Lead.has_access("read"):
                leads = Lead.search(
                    [
                        ("partner_id", "child_of", commercial.ids),
                        ("type", "=", "opportunity"),
                        ("probability", "<", 100),
                    ],
                    order="id desc",
                    limit=500,
                )
                for lead in leads:
                    leads_by_partner.setdefault(lead.partner_id.commercial_partner_id.id, []).append(lead.id)
        for ticket in self:
            key = ticket.partner_id.commercial_partner_id.id
            other_ids = [tid for tid in tickets_by_partner.get(key, []) if tid != ticket._origin.id]
            ticket.partner_ticket_ids = [(6, 0, other_ids)]
            ticket.partner_ticket_count = len(other_ids)
            lead_ids = leads_by_partner.get(key, [])
            ticket.partner_opportunity_ids = [(6, 0, lead_ids)]
            ticket.partner_opportunity_count = len(lead_ids)

    def _compute_access_url(self):
        super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        department_id = self.env.context.get("default_department_id")
        search_domain = []
        if department_id:
            search_domain = self.env["helpdesk.stage"]._domain_for_department(
                self.env["helpdesk.department"].browse(department_id)
            )
        return stages.search(search_domain, order=stages._order)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model
    def _next_numbers(self, company, count):
        """The ``count`` next numbers of ``company``'s ticket sequence (the one of
        the company, else the shared one; Odoo's ``next_by_code`` when there is none).

        A standard sequence without date ranges (the default: a PostgreSQL
        sequence, never locked, gaps possible) gives a whole batch in one query,
        its prefix and suffix interpolated once; any other numbers ticket by
        ticket through ``ir.sequence`` (a no-gap sequence locks its row)."""
        Sequence = self.env["ir.sequence"].sudo().with_company(company)
        sequence = Sequence.search(
            [("code", "=", "helpdesk.ticket"), ("company_id", "in", [company.id, False])],
            order="company_id", limit=1,
        )
        if not sequence:
            return [Sequence.next_by_code("helpdesk.ticket") for _i in range(count)]
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for _i in range(count)]
        self.env.cr.execute(SQL(
            "SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count,
        ))
        prefix, suffix = sequence._get_prefix_suffix()
        return [prefix + "%%0%sd" % sequence.padding % number + suffix for number, in self.env.cr.fetchall()]

    @api.model_create_multi
    def create(self, vals_list):
        departments = self.env["helpdesk.department"].browse(
            [vals["department_id"] for vals in vals_list if vals.get("department_id")]
        )
        # the numbers of the batch, drawn per company
        to_number = defaultdict(list)
        for vals in vals_list:
            if not vals.get("number"):
                company = self.env.company
                if vals.get("company_id"):
                    company = self.env["res.company"].browse(vals["company_id"])
                elif vals.get("department_id"):
                    company = departments.browse(vals["department_id"]).company_id
                to_number[company].append(vals)
        for company, company_vals in to_number.items():
            for vals, number in zip(company_vals, self._next_numbers(company, len(company_vals))):
                vals["number"] = number
        for vals in vals_list:
            if not vals.get("partner_id") and vals.get("partner_email"):
                partner = self.env["res.partner"]._helpdesk_find_partner(vals["partner_email"])
                if partner:
                    vals["partner_id"] = partner.id
        # mail.thread's own create subscribes the followers of the department a ticket
        # is created in and posts the creation message to them, before the routing
        # rules had their say: both are done here once the department is settled
        mail_features = not self.env.context.get("tracking_disable")
        log_creation = mail_features and not self.env.context.get("mail_create_nolog")
        Ticket = self.with_context(mail_create_nolog=True, helpdesk_department_followers_later=True)
        tickets = super(HelpdeskTicket, Ticket).create(vals_list).with_env(self.env)
        # the routing may move a new ticket to another department's stages: that is
        # part of its creation (``_on_created``), not a stage change
        creating = self.env.cr.cache.setdefault(CREATING_CACHE_KEY, set())
        creating.update(tickets.ids)
        try:
            tickets._process_new_tickets(mail_features=mail_features, log_creation=log_creation)
        finally:
            creating.difference_update(tickets.ids)
        tickets._subscribe_customers()
        tickets._on_created()
        return tickets

    def write(self, vals):
        if "number" in vals and any(ticket.number for ticket in self):
            raise UserError(self.env._("The number of a ticket cannot be changed."))
        # the stages before the write, of the tickets whose stage may change (a new
        # department may recompute it): ``_on_stage_changed`` gets the ones that did
        previous_stages = {}
        if "stage_id" in vals or "department_id" in vals:
            creating = self.env.cr.cache.get(CREATING_CACHE_KEY) or ()
            previous_stages = {ticket.id: ticket.stage_id for ticket in self if ticket.id not in creating}
        if "user_id" in vals and "assignment_notice_pending" not in vals:
            # an assignment by hand is notified by Odoo at once: no notice for the former agent
            vals = dict(vals, assignment_notice_pending=False)
        department_changed = "department_id" in vals
        res = super().write(vals)
        if "partner_id" in vals:
            self._subscribe_customers()
        if department_changed and "user_id" not in vals:
            self.filtered(lambda t: not t.user_id and not t.closed)._auto_assign()
        if previous_stages:
            changed = self.filtered(lambda t: t.id in previous_stages and t.stage_id != previous_stages[t.id])
            if changed:
                changed._on_stage_changed({ticket.id: previous_stages[ticket.id] for ticket in changed})
        return res

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for ticket, vals in zip(self, vals_list):
            vals.setdefault("name", self.env._("%s (copy)", ticket.name))
        return vals_list

    # ------------------------------------------------------------------
    # Lifecycle hooks: called once each by the core (create, write,
    # message_post); addons (SLA, mail gateway, SMS...) override them
    # ------------------------------------------------------------------
    def _on_created(self):
        """The tickets were just created, routed and assigned (every channel). Called
        once by ``create`` with the whole batch."""

    def _on_stage_changed(self, previous_stages):
        """The stage of these tickets changed (by hand, by a customer message, by a
        change of department...). ``previous_stages``: {ticket id: helpdesk.stage
        before the change}. Called once by ``write`` after it, with the tickets
        whose stage really changed.

        The core counts the reopenings and remembers the open stage a ticket had
        before waiting on the customer (a customer message moves it back there)."""
        reopened = self.filtered(lambda t: previous_stages[t.id].closed and not t.closed)
        for count, tickets in reopened.grouped("reopen_count").items():
            tickets.write({"reopen_count": count + 1})
        waiting = self.browse()
        for ticket in self:
            before = previous_stages[ticket.id]
            if ticket.stage_id.waiting_customer and before and not before.waiting_customer and not before.closed:
                waiting |= ticket
        for before, tickets in waiting.grouped(lambda t: previous_stages[t.id]).items():
            tickets.write({"stage_before_waiting_id": before.id})

    def _on_customer_message(self, message):
        """A message of the customer reached these tickets, from any channel (a mail,
        a portal reply, a chat message, a messaging app): ``message`` is the
        mail.message received (for a chat, the message of the conversation).

        The core records its date, moves a ticket waiting on the customer back to the
        stage it had before waiting and reopens a closed ticket within its
        department's reopen window (a later reply makes a follow-up ticket: the mail
        gateway routes it there)."""
        tickets = self.sudo()
        # the latest date stays (a mail delayed on its way is not the last message;
        # a ticket created from this message has its date already). A date in the
        # future (a sender's clock, a forged Date header) counts as now, and a future
        # date recorded before is replaced: it would hold the date forever
        now = fields.Datetime.now()
        received = self._customer_message_date(message)
        tickets.filtered(
            lambda t: not t.date_last_customer_message
            or t.date_last_customer_message < received
            or t.date_last_customer_message > now
        ).write({"date_last_customer_message": received})
        tickets._helpdesk_resume_after_customer_reply()

    @api.model
    def _customer_message_date(self, message):
        """When the customer's ``message`` counts as received: its date, or now for a
        date in the future (a sender's wrong clock, a forged Date header)."""
        now = fields.Datetime.now()
        return min(message.date or now, now)

    def _on_agent_message(self, message):
        """A public message of an agent (an internal user) was posted on these
        tickets: ``message``. The core records the first response and the last
        agent message."""
        tickets = self.sudo()
        first = tickets.filtered(lambda t: not t.date_first_response)
        if first:
            first.write({"date_first_response": message.date, "date_last_agent_message": message.date})
        if tickets - first:
            (tickets - first).write({"date_last_agent_message": message.date})

    def _expected_first_response_text(self):
        """When the customer may expect a first answer, as a phrase for the mails
        sent to them (the acknowledgement: "Our first answer is expected ..."), or
        '' when nothing is promised. The SLA addon answers from the ticket's
        first-response clock."""
        self.ensure_one()
        return ""

    def _customer_expectations(self):
        """When the customer may expect answers, for the pages shown to them (the portal
        ticket page), without internal names: a list of dicts ``{"target":
        "first_response" | "resolution", "deadline": datetime (UTC) or False,
        "paused": bool}``, empty when nothing is promised. The SLA addon answers from
        the ticket's running clocks."""
        self.ensure_one()
        return []

    def _helpdesk_resume_after_customer_reply(self):
        """A customer answered: a closed ticket (within the reopen window) is reopened and a
        ticket waiting on the customer goes back to the stage it had before."""
        Stage = self.env["helpdesk.stage"]
        for ticket in self:
            if ticket.closed:
                if ticket._helpdesk_in_reopen_window():
                    ticket.action_reopen()
            elif ticket.stage_id.waiting_customer:
                stage = ticket.stage_before_waiting_id
                if not stage or not stage.active or stage.closed or stage.waiting_customer or (
                    stage.department_ids and ticket.department_id not in stage.department_ids
                ):
                    stage = Stage._first_open_stage(ticket.department_id)
                if stage:
                    ticket.stage_id = stage

    def _helpdesk_in_reopen_window(self):
        """Whether a customer message reopens this closed ticket: within its
        department's ``reopen_days`` of its closing."""
        self.ensure_one()
        days = self.department_id.reopen_days if self.department_id else 7
        if days <= 0:
            return False
        if not self.date_closed:
            return True
        return fields.Datetime.now() <= self.date_closed + timedelta(days=days)

    # ------------------------------------------------------------------
    # Processing pipeline shared by every channel
    # ------------------------------------------------------------------
    def _process_new_tickets(self, mail_features=True, log_creation=True):
        """Routing, then the department's followers and the creation message, then
        assignment, for every channel (backend, API, mail, portal, form, chat):
        every ticket creation goes through ``create`` and therefore here.

        The followers of the department a ticket ends in are the ones subscribed and
        told of it ("Ticket Created"), not those of the department it was created in
        when a routing rule moved it. ``mail_features``: False when mail.thread's
        features are off (``tracking_disable``); ``log_creation``: post the creation
        message (not when the caller posts its own, as the mail gateway does)."""
        created_in = {ticket.id: ticket.department_id for ticket in self}
        self._apply_routing_rules()
        if mail_features:
            # a ticket moved by the rules had its new department's followers
            # subscribed by that write; the others get their department's now
            stayed = self.filtered(lambda t: t.department_id and t.department_id == created_in[t.id])
            for department, tickets in stayed.grouped("department_id").items():
                tickets._message_auto_subscribe({"department_id": department.id}, followers_existing_policy="update")
        if log_creation:
            self._log_creation()
        self.filtered(lambda t: not t.user_id and t.department_id and not t.closed)._auto_assign()

    def _log_creation(self):
        """The creation message mail.thread posts in ``create``: with its subtype
        (notifying) where followers are to be told, otherwise logged for the whole
        batch at once."""
        bodies = {}
        for ticket in self:
            subtype = ticket._creation_subtype()
            if subtype:
                ticket.sudo().message_post(
                    subtype_id=subtype.id, author_id=self.env.user.partner_id.id,
                    body=Markup('<div summary="o_mail_notification"><p>%s</p></div>') % ticket._creation_message(),
                )
            else:
                bodies[ticket.id] = ticket._creation_message()
        if bodies:
            self.browse(list(bodies))._message_log_batch(bodies=bodies)

    def _message_auto_subscribe(self, updated_values, followers_existing_policy="skip"):
        if updated_values.get("department_id") and self.env.context.get("helpdesk_department_followers_later"):
            # at creation: subscribed by _process_new_tickets once routed
            updated_values = dict(updated_values, department_id=False)
        return super()._message_auto_subscribe(updated_values, followers_existing_policy=followers_existing_policy)

    def _apply_routing_rules(self):
        """Apply the routing rules (helpdesk.routing.rule) to new tickets, in sequence.

        Each applied rule is logged in the chatter. Rules are read as superuser (they are
        configuration, evaluated for any channel, including portal and public users); the
        resulting changes are written with the creator's rights, with one ``write`` per
        set of identical changes (a batch routed by the same rules is written once)."""
        Rule = self.env["helpdesk.routing.rule"]
        rules_by_company = {}
        changes = {}
        logs = {}
        for ticket in self:
            company = ticket.company_id
            if company.id not in rules_by_company:
                rules_by_company[company.id] = Rule._rules_for_company(company)
            rules = rules_by_company[company.id]
            if not rules:
                continue
            data = Rule._prepare_match_data(
                ticket.name, ticket.description, ticket.partner_email or ticket.partner_id.email,
                ticket.channel, ticket.department_id.id,
            )
            applied, values = rules._evaluate(data)
            if not applied:
                continue
            if ticket.user_id:
                values.pop("user_id", None)
            if values:
                changes.setdefault(repr(sorted(values.items())), (values, []))[1].append(ticket.id)
            logs[ticket.id] = applied._log_message()
        for values, ticket_ids in changes.values():
            self.browse(ticket_ids).write(values)
        if logs:
            # the log is the system's: the creator may not follow (hence read) the routed ticket
            self.browse(list(logs))._message_log_batch(bodies=logs)
        return True

    def _auto_assign(self):
        """Assign the tickets with their department's assignment method: the agents
        of a whole batch are chosen per department, then written with one ``write``
        per agent.

        The agents are told by the assignment notice job, woken when the transaction
        commits: the request creating the tickets (a mail fetch, a portal form, an
        import) does not render notifications, and an agent given several tickets
        in a short time gets one summary. Nobody is told about their own assignment."""
        todo = self.filtered(lambda t: not t.user_id and t.department_id)
        agents = {}
        for department, tickets in todo.grouped("department_id").items():
            agents.update(department._assign_tickets(tickets))
        by_agent = defaultdict(lambda: self.browse())
        for ticket in todo:
            if ticket.id in agents:
                by_agent[agents[ticket.id]] |= ticket
        for agent, tickets in by_agent.items():
            tickets.with_context(mail_auto_subscribe_no_notify=True).write({
                "user_id": agent.id,
                "assignment_notice_pending": agent != self.env.user,
            })
        if any(agent != self.env.user for agent in by_agent):
            self._job_wake("assignment_notice_pending")

    # ------------------------------------------------------------------
    # Jobs (helpdesk.job.mixin): assignment notices
    # ------------------------------------------------------------------
    @api.model
    def _job_crons(self):
        return dict(
            super()._job_crons(),
            assignment_notice_pending="helpdesk_ticket.ir_cron_helpdesk_assignment_notice",
        )

    @api.model
    def _cron_send_assignment_notices(self, batch_size=ASSIGNMENT_NOTICE_BATCH_SIZE):
        """Tell the agents about the tickets assigned to them automatically, once
        each: Odoo's usual notification for one ticket, one summary for several.

        The batch skips the tickets locked by a user transaction (``_job_take``):
        an agent saving the ticket (a reassignment by hand cancels the notice) or
        a mail being posted on it."""
        tickets = self._job_take("assignment_notice_pending", batch_size)
        retry = self.browse()
        for agent, assigned in tickets.filtered("user_id").grouped("user_id").items():
            error = self._job_step(lambda: assigned._notify_auto_assignment(agent))
            if isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                retry |= assigned
            elif error:
                _logger.error("Agent %s could not be told about tickets %s: %s",
                              agent.login, assigned.mapped("number"), error)
        return self._job_done("assignment_notice_pending", tickets, retry)

    def _notify_auto_assignment(self, agent):
        """Tell ``agent`` about these tickets just assigned to them: Odoo's usual
        "You have been assigned" notification for one ticket, one summary for
        several (an import, a busy mail fetch)."""
        if not agent.partner_id or not agent.active:
            return
        if len(self) == 1:
            self.with_context(lang=agent.lang or self.env.lang)._message_auto_subscribe_notify(
                agent.partner_id.ids, "mail.message_user_assigned"
            )
            return
        # a summary without a document: the tickets may be of several departments
        Thread = self.env["mail.thread"].sudo().with_context(lang=agent.lang or self.env.lang)
        items = Markup("").join(
            Markup("<li>%s</li>") % ticket._get_html_link(title=ticket.display_name) for ticket in self.sudo()
        )
        # queued for the mail scheduler, woken at the commit: Odoo would send it after
        # the commit of this job's transaction, while the scheduler (woken by the other
        # jobs' mails) may take the same queued mail: two senders then update its
        # notification rows at once and one fails on a concurrency error
        Thread.message_notify(
            partner_ids=agent.partner_id.ids,
            subject=Thread.env._("You have been assigned %(count)s helpdesk tickets", count=len(self)),
            body=Markup("<p>%s</p><ul>%s</ul>") % (
                Thread.env._("These tickets were assigned to you:"), items,
            ),
            email_layout_xmlid="mail.mail_notification_light",
            force_send=False,
        )
        if agent.notification_type == "email":
            self._job_wake_cron(MAIL_SCHEDULER_CRON_XMLID)

    def _subscribe_customers(self):
        """The customer of each ticket follows it (with Odoo's default subtypes: the
        external ones for a customer, all of them for an employee). One query for the
        existing followers and one ``create`` for the whole batch, where
        ``message_subscribe`` would cost several queries per customer."""
        pairs = {(ticket.id, ticket.partner_id.id) for ticket in self if ticket.partner_id}
        if not pairs:
            return
        Followers = self.env["mail.followers"].sudo()
        existing = Followers.search_fetch(
            [("res_model", "=", self._name), ("res_id", "in", list({ticket_id for ticket_id, _p in pairs}))],
            ["res_id", "partner_id"],
        )
        pairs -= {(follower.res_id, follower.partner_id.id) for follower in existing}
        if not pairs:
            return
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        partners = self.env["res.partner"].sudo().browse({partner_id for _t, partner_id in pairs})
        shared = set(partners.filtered("partner_share").ids)
        Followers.create([
            {
                "res_model": self._name,
                "res_id": ticket_id,
                "partner_id": partner_id,
                "subtype_ids": [Command.set((external if partner_id in shared else default).ids)],
            }
            for ticket_id, partner_id in sorted(pairs)
        ])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _closing_stage(self):
        self.ensure_one()
        Stage = self.env["helpdesk.stage"]
        return Stage.search(
            [("closed", "=", True)] + Stage._domain_for_department(self.department_id),
            order="fold, sequence, id",
            limit=1,
        )

    def action_close(self):
        """Move to the department's first resolution stage."""
        for ticket in self.filtered(lambda t: not t.closed):
            stage = ticket._closing_stage()
            if not stage:
                raise UserError(self.env._("No resolution stage is configured for %s.", ticket.display_name))
            ticket.stage_id = stage
        return True

    def action_reopen(self):
        """Move closed tickets back to the first open stage of their department."""
        for ticket in self.filtered("closed"):
            stage = self.env["helpdesk.stage"]._first_open_stage(ticket.department_id)
            if not stage:
                raise UserError(self.env._("No open stage is configured for %s.", ticket.display_name))
            ticket.stage_id = stage
            ticket.message_post(
                body=self.env._("Ticket reopened."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_assign_to_me(self):
        self.write({"user_id": self.env.user.id})
        return True

    def action_create_opportunity(self):
        """Create a CRM opportunity from the ticket and link both ways."""
        self.ensure_one()
        if self.lead_id:
            raise UserError(self.env._("This ticket is already linked to an opportunity."))
        lead = self.env["crm.lead"].create(self._prepare_lead_values())
        self.lead_id = lead
        lead.message_post(
            body=self.env._("Opportunity created from ticket %s.", self._get_html_link(title=self.display_name)),
            subtype_xmlid="mail.mt_note",
        )
        self.message_post(
            body=self.env._("Opportunity %s created from this ticket.", lead._get_html_link()),
            subtype_xmlid="mail.mt_note",
        )
        return self._record_form_action(lead)

    @api.model
    def _record_form_action(self, record):
        """Window action opening ``record`` in its form view."""
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _prepare_lead_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "type": "opportunity",
            "partner_id": self.partner_id.id,
            "contact_name": self.partner_name if not self.partner_id else False,
            "email_from": self.partner_email,
            "phone": self.partner_phone,
            "description": self.description,
            "company_id": self.company_id.id,
            "user_id": self.env.user.id,
        }

    def action_open_partner_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_ticket.helpdesk_ticket_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.partner_id.id}
        action["name"] = self.env._("Tickets of %s", self.commercial_partner_id.display_name)
        return action

    def action_open_partner_opportunities(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_opportunities")
        action["domain"] = [("id", "in", self.partner_opportunity_ids.ids)]
        action["context"] = {"default_partner_id": self.partner_id.id}
        return action

    def action_open_lead(self):
        self.ensure_one()
        return self._record_form_action(self.lead_id)

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------
    def _creation_subtype(self):
        """"Ticket Created" when somebody follows the ticket for it (the followers
        of its department subscribed to new tickets): they are notified. Otherwise
        no subtype: Odoo logs the creation of the whole batch at once instead of a
        full ``message_post`` per ticket (reply-to, recipients, notifications),
        which was most of the cost of creating tickets by mail, import or API.

        Odoo asks ticket by ticket, once the batch's followers are in: the first
        ticket asked answers for the whole batch (its prefetch set) in one query."""
        # the id from ir.model.data's cache: env.ref() would check it exists, a query per ticket
        subtype = self.env["mail.message.subtype"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id("helpdesk_ticket.mt_ticket_new")
        )
        told = self.env.cr.cache.setdefault("helpdesk.creation_told", {})
        if self.id not in told:
            batch = [ticket_id for ticket_id in self._prefetch_ids if isinstance(ticket_id, int)]
            self.env["mail.followers"].flush_model(["res_model", "res_id", "partner_id", "subtype_ids"])
            self.env.cr.execute(SQL(
                """
                SELECT DISTINCT follower.res_id
                  FROM mail_followers follower
                  JOIN mail_followers_mail_message_subtype_rel rel ON rel.mail_followers_id = follower.id
                 WHERE follower.res_model = %(model)s AND follower.res_id = ANY(%(ids)s)
                   AND rel.mail_message_subtype_id = %(subtype)s AND follower.partner_id != %(author)s
                """,
                model=self._name, ids=batch, subtype=subtype.id, author=self.env.user.partner_id.id,
            ))
            found = {row[0] for row in self.env.cr.fetchall()}
            told.update((ticket_id, ticket_id in found) for ticket_id in batch)
        return subtype if told.pop(self.id, False) else self.env["mail.message.subtype"]

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "stage_id" in init_values:
            return self.env.ref("helpdesk_ticket.mt_ticket_stage")
        return super()._track_subtype(init_values)

    def _track_template(self, changes):
        res = super()._track_template(changes)
        ticket = self[0]
        if "stage_id" in changes and ticket.stage_id.mail_template_id:
            res["stage_id"] = (
                ticket.stage_id.mail_template_id,
                {
                    "auto_delete_keep_log": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                    "email_layout_xmlid": "mail.mail_notification_light",
                },
            )
        return res

    def _message_compute_subject(self):
        self.ensure_one()
        return f"[{self.number}] {self.name}" if self.number else super()._message_compute_subject()

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if self.partner_id:
            self._message_add_suggested_recipient(
                recipients, partner=self.partner_id, reason=self.env._("Customer")
            )
        elif self.partner_email:
            self._message_add_suggested_recipient(
                recipients, email=self.partner_email, reason=self.env._("Customer Email")
            )
        return recipients

    def _message_post_after_hook(self, message, msg_vals):
        self._helpdesk_message_received(message)
        return super()._message_post_after_hook(message, msg_vals)

    def _helpdesk_message_received(self, message):
        """Call ``_on_agent_message`` or ``_on_customer_message`` for a public message
        (``message_post`` on the ticket, or a message of another thread the ticket
        follows, e.g. its live chat conversation). Internal notes, tracking and the
        gateway's automatic messages (posted as notes) call neither."""
        if not self._is_public_message(message):
            return
        if self._is_agent_message(message):
            self._on_agent_message(message)
        else:
            self._on_customer_message(message)

    @api.model
    def _is_public_message(self, message):
        return message.message_type in ("comment", "email", "email_outgoing") and not (
            message.subtype_id.internal if message.subtype_id else True
        )

    @api.model
    def _is_agent_message(self, message):
        """A message authored by an internal user is an agent's; anything else
        (a customer, a guest, an unknown sender) is the customer's.

        Except on a ticket whose customer is that internal user (e.g. made by the public
        form or by mail for their address): there their messages are the customer's
        (no first response, no SLA clock stopped), unless they are an agent of the
        ticket's department writing in the backend (a comment, not a mail)."""
        author = message.author_id.sudo()
        author_users = author.user_ids
        if not author_users or all(author_users.mapped("share")):
            return False
        tickets = self.sudo()
        if message.model == self._name and message.res_id:
            tickets = tickets.browse(message.res_id)
        own = tickets.filtered(lambda ticket: ticket._helpdesk_is_customer(author))
        if not own:
            return True
        return message.message_type == "comment" and all(
            ticket._helpdesk_is_department_agent(author_users) for ticket in own
        )

    def _helpdesk_is_customer(self, partner):
        """Whether ``partner`` is this ticket's customer: its contact, or its address."""
        self.ensure_one()
        if self.partner_id == partner:
            return True
        email = email_normalize(self.partner_email or "")
        return bool(email) and email == partner.email_normalized

    def _helpdesk_is_department_agent(self, users):
        """Whether one of ``users`` is an agent (member or manager) of this ticket's department."""
        self.ensure_one()
        department = self.department_id.sudo()
        staff = department.member_ids | department.manager_id
        return any(
            user in staff and user._has_group("helpdesk_ticket.group_helpdesk_agent") for user in users.sudo()
        )

    def _recompute_message_dates(self):
        """Rebuild first-response / last-message dates from the chatter history
        (demo data, imported tickets): dates only, the messages are not received
        again (no stage moves)."""
        messages = self.env["mail.message"].sudo().search(
            [("model", "=", self._name), ("res_id", "in", self.ids)], order="date, id"
        )
        for message in messages.filtered(self._is_public_message):
            ticket = self.browse(message.res_id).sudo()
            if self._is_agent_message(message):
                vals = {"date_last_agent_message": message.date}
                if not ticket.date_first_response:
                    vals["date_first_response"] = message.date
            else:
                vals = {"date_last_customer_message": message.date}
            ticket.write(vals)

    def _notify_get_recipients_groups(self, message, model_description, msg_vals=None):
        groups = super()._notify_get_recipients_groups(message, model_description, msg_vals=msg_vals)
        if not self:
            return groups
        self.ensure_one()
        for group_name, _group_method, group_data in groups:
            if group_name in ("portal_customer", "portal", "customer"):
                group_data["has_button_access"] = True
        return groups

    def _rating_get_partner(self):
        return self.partner_id or super()._rating_get_partner()
