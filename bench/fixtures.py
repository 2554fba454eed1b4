"""Configuration shared by the benchmarks, created once per database: an alias
domain, agents, departments / teams with an alias and automatic assignment, a
routing rule, an SLA policy (when helpdesk_sla is installed), customers and a
portal user. The same shapes are created for our addons, for Odoo's CRM
(baseline) and for OCA helpdesk_mgmt, so that every system does the same job."""

ALIAS_DOMAIN = "bench.example.com"
N_AGENTS = 4
N_CUSTOMERS = 2000
PASSWORD = "bench-pass-1"


def customer_email(i):
    return f"customer{i}@client{i % 20}.example.com"


def _alias_domain(env):
    domain = env["mail.alias.domain"].search([("name", "=", ALIAS_DOMAIN)], limit=1)
    if not domain:
        domain = env["mail.alias.domain"].create({"name": ALIAS_DOMAIN})
    env.company.alias_domain_id = domain
    return domain


def _users(env, prefix, group_xmlids, count):
    groups = [env.ref(x).id for x in group_xmlids]
    users = env["res.users"]
    for i in range(count):
        login = f"{prefix}{i}"
        user = env["res.users"].search([("login", "=", login)], limit=1)
        if not user:
            user = env["res.users"].with_context(no_reset_password=True).create({
                "name": f"Bench {prefix} {i}", "login": login, "email": f"{login}@agents.example.com",
                "password": PASSWORD, "groups_id": [(6, 0, groups)],
            })
        users |= user
    return users


def _customers(env):
    Partner = env["res.partner"]
    existing = Partner.search([("email", "=like", "customer%@client%.example.com")])
    by_email = {p.email: p for p in existing}
    vals = [
        {"name": f"Customer {i}", "email": customer_email(i)}
        for i in range(N_CUSTOMERS) if customer_email(i) not in by_email
    ]
    if vals:
        Partner.create(vals)
    return Partner.search([("email", "=like", "customer%@client%.example.com")], order="id")


def _portal_user(env):
    partner = env["res.partner"].search([("email", "=", customer_email(0))], limit=1)
    user = env["res.users"].search([("login", "=", "bench_portal")], limit=1)
    if not user:
        user = env["res.users"].with_context(no_reset_password=True).create({
            "name": partner.name, "login": "bench_portal", "partner_id": partner.id,
            "password": PASSWORD, "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        })
    return user


def setup_ours(env):
    domain = _alias_domain(env)
    agents = _users(env, "bench_agent", ["helpdesk_ticket.group_helpdesk_agent"], N_AGENTS)
    Department = env["helpdesk.department"]
    departments = Department.search([("name", "in", ["Bench Support", "Bench Billing", "Bench Technical"])])
    if not departments:
        departments = Department.create([
            {"name": name, "member_ids": [(6, 0, members.ids)], "assignment_method": "round_robin"}
            for name, members in [("Bench Support", agents), ("Bench Billing", agents[:2]),
                                  ("Bench Technical", agents[2:])]
        ])
    support = departments.filtered(lambda d: d.name == "Bench Support")
    billing = departments.filtered(lambda d: d.name == "Bench Billing")
    if "helpdesk.routing.rule" in env and not env["helpdesk.routing.rule"].search([("name", "=", "Bench invoices")]):
        env["helpdesk.routing.rule"].create({
            "name": "Bench invoices", "keywords": "invoice", "set_department_id": billing.id,
        })
    if "helpdesk.sla.policy" in env and not env["helpdesk.sla.policy"].search([("name", "=", "Bench SLA")]):
        env["helpdesk.sla.policy"].create({
            "name": "Bench SLA", "first_response_hours": 4, "resolution_hours": 24,
        })
    alias = None
    if "alias_name" in Department._fields:
        support.alias_name = "support"
        support.alias_domain_id = domain
        alias = f"support@{ALIAS_DOMAIN}"
    else:
        # helpdesk_mail_gateway not installed: a plain alias on the ticket model
        alias_rec = env["mail.alias"].search([("alias_name", "=", "support")], limit=1) or env["mail.alias"].create({
            "alias_name": "support", "alias_domain_id": domain.id,
            "alias_model_id": env["ir.model"]._get_id("helpdesk.ticket"),
            "alias_defaults": repr({"department_id": support.id, "channel": "email"}),
            "alias_contact": "everyone",
        })
        alias = alias_rec.display_name
    customers = _customers(env)
    portal = _portal_user(env)
    env.cr.commit()
    return {"alias": alias, "agents": agents, "departments": departments, "support": support,
            "customers": customers, "portal": portal}


def setup_crm(env):
    domain = _alias_domain(env)
    agents = _users(env, "bench_sales", ["sales_team.group_sale_salesman"], N_AGENTS)
    team = env["crm.team"].search([("name", "=", "Bench Sales")], limit=1)
    if not team:
        team = env["crm.team"].create({
            "name": "Bench Sales", "use_leads": True, "use_opportunities": True,
            "member_ids": [(6, 0, agents.ids)], "alias_name": "sales", "alias_domain_id": domain.id,
            "alias_contact": "everyone",
        })
    env.cr.commit()
    return {"alias": f"sales@{ALIAS_DOMAIN}", "agents": agents, "team": team, "customers": _customers(env)}


def setup_oca(env):
    domain = _alias_domain(env)
    agents = _users(env, "bench_agent", ["helpdesk_mgmt.group_helpdesk_user_team"], N_AGENTS)
    Team = env["helpdesk.ticket.team"]
    teams = Team.search([("name", "in", ["Bench Support", "Bench Billing", "Bench Technical"])])
    if not teams:
        teams = Team.create([
            {"name": name, "user_ids": [(6, 0, members.ids)]}
            for name, members in [("Bench Support", agents), ("Bench Billing", agents[:2]),
                                  ("Bench Technical", agents[2:])]
        ])
    support = teams.filtered(lambda t: t.name == "Bench Support")
    support.write({"alias_name": "support", "alias_domain_id": domain.id, "alias_contact": "everyone"})
    customers = _customers(env)
    portal = _portal_user(env)
    env.cr.commit()
    return {"alias": f"support@{ALIAS_DOMAIN}", "agents": agents, "departments": teams, "support": support,
            "customers": customers, "portal": portal}
