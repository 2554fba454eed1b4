import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class HelpdeskJobMixin(models.AbstractModel):
    """Deferred work run by a cron: acknowledgements, assignment notices, SLA
    checks, schedules, re-planning.

    A model running a job inherits this mixin and declares the job in
    ``_job_crons`` (``{job: xmlid of its ir.cron}``). The records awaiting a
    flagged job carry its flag, a boolean field named like the job, set in the
    transaction that creates the work; ``_job_wake`` then runs the cron once,
    when that transaction commits. A run takes a batch (``_job_take``), does each
    item in a savepoint (``_job_step``) and unflags the batch (``_job_done``),
    which reports the progress to the cron framework: it runs the next batch at
    once, in a new transaction, while work remains.

    Locking: ``ir.cron`` never runs one job twice at once (its worker holds the
    job's row while it runs, and a manual run takes the same lock), so the
    batch needs no lock against another run of the job. It is locked only
    against user transactions (an agent saving a ticket, a mail being posted on
    it, a manager saving a schedule) that hold the rows the job writes, and
    ``SKIP LOCKED`` leaves those to the next run instead of waiting for them.
    Each job says which user transaction it skips where it takes its batch.
    """

    _name = "helpdesk.job.mixin"
    _description = "Helpdesk Job"

    #: a batch that met a concurrent change runs again this long after
    _job_retry_delay = timedelta(seconds=5)
    #: a job left with locked work only looks again this long after
    _job_wait_delay = timedelta(minutes=1)

    # ------------------------------------------------------------------
    # Declared by the model running a job
    # ------------------------------------------------------------------
    @api.model
    def _job_crons(self):
        """The jobs run on this model's records: ``{job: xmlid of its ir.cron}``.
        A flagged job is named after its flag field. Each model (and each addon
        extending it) adds its own jobs to ``super()``'s."""
        return {}

    @api.model
    def _job_cron(self, job):
        """The ir.cron running ``job`` (empty when it was deleted)."""
        cron = self.env.ref(self._job_crons()[job], raise_if_not_found=False)
        return cron.sudo() if cron else self.env["ir.cron"].sudo()

    @api.model
    def _job_run_at(self, job, at):
        """Run ``job`` at ``at`` (a trigger of its cron, in this transaction)."""
        cron = self._job_cron(job)
        if cron:
            cron._trigger(at=at)

    # ------------------------------------------------------------------
    # Waking the cron
    # ------------------------------------------------------------------
    @api.model
    def _job_wake(self, job):
        """Run ``job`` as soon as this transaction commits (once per transaction,
        however many times it is asked): the request that made the work does not
        do it, and the job sees the work once it is committed."""
        self._job_wake_cron(self._job_crons()[job])

    @api.model
    def _job_wake_cron(self, xmlid):
        """Run the cron ``xmlid`` (a job, or one of Odoo's, such as the mail
        scheduler) as soon as this transaction commits, once per transaction.

        Every cron woken by a transaction (a new ticket wakes its acknowledgement,
        the notifications of the message received, the assignment notice and the
        mail queue) is triggered at once, before the commit: one query, one insert
        of their triggers and one notification of the cron workers after the commit
        (Odoo's ``_trigger`` makes each of these per cron, the notification on a new
        connection to the ``postgres`` database)."""
        data = self.env.cr.precommit.data
        woken = data.get("helpdesk.job.wake")
        if woken is None:
            woken = data["helpdesk.job.wake"] = set()
            self.env.cr.precommit.add(self._job_trigger_woken)
        woken.add(xmlid)

    @api.model
    def _job_trigger_woken(self):
        """Trigger now the crons woken in this transaction (``_job_wake_cron``)."""
        xmlids = self.env.cr.precommit.data.pop("helpdesk.job.wake", ())
        # the ids from ir.model.data's cache (env.ref() checks each exists: a query per cron)
        cron_ids = [self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False) for xmlid in xmlids]
        cron_ids = [cron_id for cron_id in cron_ids if cron_id]
        if not cron_ids:
            return
        now = fields.Datetime.now()
        # an inactive cron ignores the triggers due now (as in ``ir.cron._trigger``).
        # The precommit hooks also run before and after each flushing savepoint (every
        # step of a job): a wake-up this transaction already made (a trigger due now
        # whose creation date is the transaction's) serves until the commit, and one
        # undone with its savepoint is no longer there
        self.env.cr.execute(SQL(
            """SELECT cron.id FROM ir_cron cron
                WHERE cron.id = ANY(%s) AND cron.active
                  AND NOT EXISTS (SELECT 1 FROM ir_cron_trigger t
                                   WHERE t.cron_id = cron.id AND t.create_date = %s AND t.call_at <= %s)""",
            cron_ids, self.env.cr.now(), now,
        ))
        due = [row[0] for row in self.env.cr.fetchall()]
        if not due:
            return
        self.env["ir.cron.trigger"].sudo().create([{"cron_id": cron_id, "call_at": now} for cron_id in due])
        postcommit = self.env.cr.postcommit
        if not postcommit.data.get("helpdesk.job.notified"):
            postcommit.data["helpdesk.job.notified"] = True
            postcommit.add(self.env["ir.cron"].sudo()._notifydb)

    @api.model
    def _job_retry_soon(self, job):
        """Run ``job`` again in a few seconds, in a new transaction (work left
        after a conflict with a transaction that committed meanwhile)."""
        self._job_run_at(job, fields.Datetime.now() + self._job_retry_delay)

    # ------------------------------------------------------------------
    # A run
    # ------------------------------------------------------------------
    @api.model
    def _job_take(self, job, batch_size):
        """A batch of the records flagged for ``job``, oldest first, locked until
        the run commits (``_job_done`` unflags them in the same transaction, and
        a crash before the commit leaves them flagged for the next run).

        ``FOR NO KEY UPDATE SKIP LOCKED``: the row of a record saved at this
        moment in a user transaction is left for the next run (the job's
        docstring says which transaction); the run neither waits for it nor
        fails on it."""
        self.env.flush_all()
        ids = self._job_lock(job, self._job_take_query(job, batch_size))
        return self.sudo().with_context(active_test=False).browse(ids)

    @api.model
    def _job_take_query(self, flag, batch_size):
        return SQL(
            "SELECT id FROM %s WHERE %s ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
            SQL.identifier(self._table), SQL.identifier(flag), batch_size,
        )

    @api.model
    def _job_lock(self, job, query):
        """The ids that ``query`` (a ``SELECT id ... FOR NO KEY UPDATE SKIP
        LOCKED``) locks for a batch of ``job``.

        In Odoo's REPEATABLE READ transactions, locking a row that another
        transaction changed and committed since this one began is a serialization
        failure, ``SKIP LOCKED`` or not (a record saved by a user just before the
        batch is taken). Then nothing is taken and the job runs again in a few
        seconds, in a new transaction, instead of failing the run."""
        ids = self._job_select(query)
        if ids is None:
            self._job_retry_soon(job)
            return []
        return ids

    @api.model
    def _job_select(self, query):
        """The ids ``query`` returns, or None after a concurrency error (the
        transaction stays usable)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return [row[0] for row in self.env.cr.fetchall()]
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            _logger.info("Helpdesk job on %s: batch left for a new run (%s)", self._name, error.pgcode)
            return None

    @api.model
    def _job_step(self, step):
        """Run ``step()`` of a batch in a savepoint, so that one failing item does
        not undo nor stop the others; return the error, or None.

        A concurrency error (a user transaction changed or locks a row the step
        writes, e.g. a customer being updated by a mail intake) is returned as
        such: the caller leaves the item flagged and the job's next run, in a new
        transaction, does it. A lost connection or a cancelled statement is raised."""
        try:
            with self.env.cr.savepoint():
                step()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            _logger.info("Helpdesk job: step left for the next run (%s)", error.pgcode)
            return error
        except psycopg2.Error:
            raise
        except Exception as error:  # noqa: BLE001 - one broken item must not stop the job
            return error
        return None

    @api.model
    def _job_done(self, job, records, retry):
        """Unflag the batch ``records`` of the flagged ``job`` but ``retry`` (left
        flagged for the next run) and report the progress (``_job_progress``).
        Returns the number of records done."""
        done, remaining = self._job_unflag(job, records, retry)
        self._job_progress(job, done, remaining)
        return done

    @api.model
    def _job_unflag(self, flag, records, retry):
        """Unflag ``records`` but ``retry``: (records done, records still flagged)."""
        (records - retry).write({flag: False})
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT count(*) FROM %s WHERE %s", SQL.identifier(self._table), SQL.identifier(flag),
        ))
        return len(records) - len(retry), self.env.cr.fetchone()[0]

    @api.model
    def _job_progress(self, job, done, remaining):
        """Tell the cron framework what this run of ``job`` did: while work
        remains it runs the next batch at once, in a new transaction. When
        nothing could be done (every item locked by a user transaction, or every
        step in conflict), the job looks again a minute later instead."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining and not done:
            self._job_run_at(job, fields.Datetime.now() + self._job_wait_delay)
