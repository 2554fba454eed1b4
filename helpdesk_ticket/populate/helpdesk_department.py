import random

from odoo import api, models


class HelpdeskDepartment(models.Model):
    _inherit = "helpdesk.department"

    _populate_sizes = {"small": 3, "medium": 10, "large": 30}
    _populate_dependencies = ["res.users"]

    @api.model
    def _populate_agents(self, count=8):
        """Helpdesk agents to staff the generated departments (created when missing)."""
        group = self.env.ref("helpdesk_ticket.group_helpdesk_agent")
        agents = self.env["res.users"].search([("groups_id", "in", group.id), ("share", "=", False)])
        missing = count - len(agents)
        if missing > 0:
            agents |= self.env["res.users"].with_context(no_reset_password=True).create([
                {"name": f"Populated Agent {i}", "login": f"populated_agent_{i}_{len(agents)}",
                 "email": f"populated_agent_{i}@example.com", "groups_id": [(6, 0, [group.id])]}
                for i in range(missing)
            ])
        return agents

    @api.model
    def _populate_factories(self):
        """(field name, generator) pairs; each generator yields one value per record
        ``i`` from the previous values, like Odoo's former populate factories."""
        agents = self._populate_agents()
        methods = [m for m, _label in self._fields["assignment_method"].selection if m != "manual"]
        rnd = random.Random("helpdesk.department")

        def members(i):
            return [(6, 0, rnd.sample(agents.ids, k=min(len(agents), rnd.randint(2, 5))))]

        return [
            ("name", lambda i: f"Department {i + 1}"),
            ("member_ids", members),
            ("assignment_method", lambda i: methods[i % len(methods)]),
            ("visibility", lambda i: "all_agents" if i % 5 == 4 else "members"),
            ("reopen_days", lambda i: rnd.choice([3, 7, 14])),
        ]

    @api.model
    def _populate(self, size):
        count = self._populate_sizes[size]
        factories = self._populate_factories()
        return self.create([{field: gen(i) for field, gen in factories} for i in range(count)])
