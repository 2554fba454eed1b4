import ipaddress

from odoo import api, models
from odoo.tools import SQL
from odoo.tools.misc import hmac


class HelpdeskRateLimitMixin(models.AbstractModel):
    """Counting of rate-limited anonymous actions (public form, tracking lookups,
    chatbot tickets), shared by the models of the addons that hold such limits.

    Design:

    * one row per counted attempt, held in the database (not in worker memory) so
      that a limit holds with several Odoo workers;
    * a row stores a keyed hash (HMAC with the database secret) of the address,
      email or number it counts, never the raw value;
    * :meth:`_is_blocked` takes a transaction-level advisory lock per key, so that
      two workers checking the same key at once are serialized until the first
      one recorded its attempt (commit); without it both would see the count under
      the limit;
    * rows older than their window no longer count and are deleted
      (:meth:`_delete_expired_attempts`, by a cron or when a key is counted again).

    A concrete model declares the fields ``kind`` (Selection of the kinds of
    :meth:`_rate_limits`) and ``key`` (Char), and its limits in :meth:`_rate_limits`.
    Its table is the one of its ``_name`` (``_table``); the hashes are scoped by it.
    """

    _name = "helpdesk.rate.limit.mixin"
    _description = "Helpdesk Rate Limit Mixin"

    @api.model
    def _rate_limits(self):
        """``{kind: (limit parameter, default limit, window parameter, default minutes)}``:
        the ``ir.config_parameter`` keys of each kind's limit and window and their
        defaults. A limit of 0 or less switches the kind off."""
        return {}

    @api.model
    def _client_key(self, address):
        """Rate-limit key of a client address: an IPv4 address as is, an IPv6 address
        by its /64 network (one subscriber usually gets a whole /64 and can change the
        rest at will), an IPv4-mapped IPv6 address as its IPv4 address."""
        try:
            ip = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return (address or "unknown")[:64]
        if ip.version == 6:
            if ip.ipv4_mapped:
                return str(ip.ipv4_mapped)
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    @api.model
    def _hash_key(self, kind, value):
        value = (value or "").strip().lower()
        return hmac(self.env(su=True), self._table, f"{kind}:{value}")

    @api.model
    def _limit_for(self, kind):
        """``(limit, window in minutes)`` of ``kind``, read from the config parameters."""
        limit_param, limit_default, window_param, window_default = self._rate_limits()[kind]
        params = self.env["ir.config_parameter"].sudo()
        try:
            limit = int(params.get_param(limit_param, limit_default))
        except ValueError:
            limit = limit_default
        try:
            window = int(params.get_param(window_param, window_default))
        except ValueError:
            window = window_default
        return limit, window

    @api.model
    def _is_blocked(self, checks):
        """Whether any ``(kind, value)`` of ``checks`` reached its limit within its window
        (empty values are not counted).

        Race: two workers checking the same key at once would both see the count under
        the limit; a transaction-level advisory lock per key makes the second wait
        until the first recorded its attempt (commit). Keys are locked in a fixed
        order so that two workers locking several keys cannot deadlock."""
        cr = self.env.cr
        checks = [(kind, self._hash_key(kind, value)) for kind, value in checks if value]
        for kind, key in sorted(checks):
            cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", f"{self._table}:{kind}:{key}"))
        for kind, key in checks:
            limit, window = self._limit_for(kind)
            if limit <= 0:
                continue
            cr.execute(SQL(
                """SELECT count(*) FROM %s
                    WHERE kind = %s AND key = %s
                      AND create_date > (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                SQL.identifier(self._table), kind, key, window,
            ))
            if cr.fetchone()[0] >= limit:
                return True
        return False

    @api.model
    def _record_attempts(self, checks):
        """Count one attempt for each ``(kind, value)`` of ``checks`` (empty values are not counted)."""
        vals_list = [{"kind": kind, "key": self._hash_key(kind, value)} for kind, value in checks if value]
        return self.sudo().create(vals_list)

    @api.model
    def _delete_expired_attempts(self, checks=None):
        """Delete the attempts that no longer count: those of the ``(kind, value)`` of
        ``checks`` older than their kind's window, or without ``checks`` every attempt
        older than the longest window. Returns the number of rows deleted."""
        cr = self.env.cr
        if checks is None:
            longest = max(self._limit_for(kind)[1] for kind in self._rate_limits())
            cr.execute(SQL(
                """DELETE FROM %s
                    WHERE create_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                SQL.identifier(self._table), longest,
            ))
            return cr.rowcount
        deleted = 0
        for kind, value in checks:
            if not value:
                continue
            cr.execute(SQL(
                """DELETE FROM %s
                    WHERE kind = %s AND key = %s
                      AND create_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)""",
                SQL.identifier(self._table), kind, self._hash_key(kind, value), self._limit_for(kind)[1],
            ))
            deleted += cr.rowcount
        return deleted
