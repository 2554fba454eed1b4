"""Business-time engine of the helpdesk SLAs.

Plain functions over a small immutable description of a ``resource.calendar``
(:class:`BusinessCalendar`): no ORM, no database, so that the arithmetic can be
tested exhaustively and reused by other addons (reports).

Conventions
-----------
* Every instant given to or returned by this module is a **naive UTC**
  ``datetime`` (the way Odoo stores ``fields.Datetime``).
* Attendances are wall-clock times in the calendar's timezone. An instant is
  *working time* when its local wall-clock time falls inside
  ``[hour_from, hour_to)`` of an attendance applying to its local date, and it
  lies outside every leave. Around DST changes this is exact: a shift
  01:00-05:00 on the night the clocks go forward lasts 3 hours, on the night
  they go back 5 hours.
* Leaves (public holidays, closures) are UTC intervals, as stored in
  ``resource.calendar.leaves``.
* Results are rounded to the second (the precision of ``fields.Datetime``).

Public API (used by helpdesk_sla and helpdesk_reports)::

    calendar_from_record(calendar) -> BusinessCalendar
    working_intervals(cal, start, end) -> tuple[(datetime, datetime)]
    working_hours_between(cal, start, end) -> float
    add_working_hours(cal, start, hours) -> datetime
    deadline_with_pauses(cal, start, hours, pauses) -> datetime
    paused_working_hours(cal, start, hours, pauses) -> float
    plan_clock(cal, start, hours, pauses, stop=None) -> ClockPlan
"""

import bisect
import functools
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, datetime, time, timedelta

import pytz

__all__ = [
    "Attendance",
    "BusinessCalendar",
    "ALWAYS_OPEN",
    "ClockPlan",
    "add_working_hours",
    "calendar_from_record",
    "deadline_with_pauses",
    "make_calendar",
    "paused_working_hours",
    "plan_clock",
    "week_type",
    "working_hours_between",
    "working_intervals",
]

ONE_DAY = timedelta(days=1)
#: how far :func:`add_working_hours` looks ahead before giving up
SEARCH_HORIZON = timedelta(days=366 * 5)


def week_type(day):
    """Parity (0 or 1) of the week of ``day`` in a two-week calendar.

    Weeks are counted from Monday 1 January of year 1, so that an odd week
    always follows an even one (the convention of ``resource.calendar``)."""
    return ((day.toordinal() - 1) // 7) % 2


@dataclass(frozen=True)
class Attendance:
    """One working period of a weekday, in local wall-clock minutes."""

    dayofweek: int  # 0 = Monday
    minute_from: int
    minute_to: int  # up to 1440 (midnight at the end of the day)
    week_type: int | None = None  # None: every week; 0/1: that week of a two-week calendar
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_hours(cls, dayofweek, hour_from, hour_to, week_type=None, date_from=None, date_to=None):
        return cls(
            int(dayofweek),
            int(round(hour_from * 60)),
            int(round(hour_to * 60)),
            None if week_type in (None, False, "") else int(week_type),
            date_from or None,
            date_to or None,
        )

    def applies_on(self, day, two_weeks):
        if two_weeks and self.week_type is not None and week_type(day) != self.week_type:
            return False
        if self.date_from and day < self.date_from:
            return False
        if self.date_to and day > self.date_to:
            return False
        return True


@dataclass(frozen=True)
class BusinessCalendar:
    """Immutable calendar data. Build it with :func:`make_calendar` or
    :func:`calendar_from_record` (they normalise the leaves)."""

    tz: str = "UTC"
    attendances: tuple = ()
    leaves: tuple = ()  # sorted, merged ((start_utc, end_utc), ...)
    two_weeks: bool = False
    always_open: bool = False  # 24/7: no calendar configured

    @property
    def has_working_time(self):
        return self.always_open or any(a.minute_to > a.minute_from for a in self.attendances)


#: 24/7 calendar, used when a department has no working hours
ALWAYS_OPEN = BusinessCalendar(always_open=True)


def _merge(intervals):
    result = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def make_calendar(tz="UTC", attendances=(), leaves=(), two_weeks=False, always_open=False):
    """Build a :class:`BusinessCalendar`.

    :param attendances: :class:`Attendance` objects, or tuples
        ``(dayofweek, hour_from, hour_to[, week_type[, date_from[, date_to]]])``
    :param leaves: ``(start_utc, end_utc)`` pairs (any order, may overlap)
    """
    atts = tuple(
        att if isinstance(att, Attendance) else Attendance.from_hours(*att) for att in attendances
    )
    return BusinessCalendar(
        tz=tz or "UTC",
        attendances=atts,
        leaves=tuple(_merge(leaves)),
        two_weeks=bool(two_weeks),
        always_open=bool(always_open),
    )


def calendar_from_record(calendar, company=None):
    """Read a ``resource.calendar`` record (or an empty recordset: 24/7) into a
    :class:`BusinessCalendar`: its generic attendances (no resource, no
    section lines), timezone, two-week mode and the global leaves (no
    resource) of the calendar or of every calendar of its company."""
    if not calendar:
        return ALWAYS_OPEN
    calendar = calendar.sudo()
    if calendar.flexible_hours:
        return ALWAYS_OPEN
    attendances = [
        Attendance.from_hours(
            att.dayofweek, att.hour_from, att.hour_to, att.week_type, att.date_from, att.date_to
        )
        for att in calendar.attendance_ids
        if not att.resource_id and att.display_type != "line_section" and att.day_period != "lunch"
    ]
    company = company or calendar.company_id
    domain = [
        ("resource_id", "=", False),
        ("calendar_id", "in", [False, calendar.id]),
        ("time_type", "=", "leave"),
    ]
    if company:
        domain.append(("company_id", "in", [False, company.id]))
    leaves = calendar.env["resource.calendar.leaves"].sudo().search_fetch(domain, ["date_from", "date_to"])
    return make_calendar(
        tz=calendar.tz or "UTC",
        attendances=attendances,
        leaves=[(leave.date_from, leave.date_to) for leave in leaves],
        two_weeks=calendar.two_weeks_calendar,
    )


def _offset_segments(tz, start, end):
    """Split the UTC range [start, end) into pieces of constant UTC offset.

    Yields ``(piece_start, piece_end, offset)``."""
    transitions = getattr(tz, "_utc_transition_times", None)
    if not transitions:
        yield start, end, tz.utcoffset(start) or timedelta(0)
        return
    infos = tz._transition_info
    index = max(bisect.bisect_right(transitions, start) - 1, 0)
    cursor = start
    while cursor < end:
        offset = infos[index][0]
        piece_end = end
        if index + 1 < len(transitions) and transitions[index + 1] < end:
            piece_end = transitions[index + 1]
        if piece_end > cursor:
            yield cursor, piece_end, offset
        cursor = max(cursor, piece_end)
        index += 1


def _subtract(intervals, leaves):
    """Remove the (sorted, merged) ``leaves`` from the sorted ``intervals``."""
    if not leaves:
        return intervals
    starts = [leave[0] for leave in leaves]
    result = []
    for start, end in intervals:
        # first leave that may overlap: the last one starting before ``start``
        index = max(bisect.bisect_right(starts, start) - 1, 0)
        cursor = start
        while index < len(leaves) and leaves[index][0] < end:
            leave_start, leave_end = leaves[index]
            if leave_end > cursor:
                if leave_start > cursor:
                    result.append((cursor, leave_start))
                cursor = max(cursor, leave_end)
                if cursor >= end:
                    break
            index += 1
        if cursor < end:
            result.append((cursor, end))
    return result


@functools.lru_cache(maxsize=512)
def working_intervals(cal, start, end):
    """Working intervals of ``cal`` inside [start, end), sorted and merged,
    as a tuple of ``(start_utc, end_utc)`` pairs.

    Memoized (a pure function of immutable values): the clocks of a batch of
    tickets created together start at the same instant on the same calendar."""
    if start >= end:
        return ()
    if cal.always_open:
        return tuple(_subtract([(start, end)], cal.leaves))
    by_weekday = {}
    for att in cal.attendances:
        if att.minute_to > att.minute_from:
            by_weekday.setdefault(att.dayofweek, []).append(att)
    tz = pytz.timezone(cal.tz or "UTC")
    raw = []
    for piece_start, piece_end, offset in _offset_segments(tz, start, end):
        local_start, local_end = piece_start + offset, piece_end + offset
        day = local_start.date()
        while True:
            midnight = datetime.combine(day, time())
            if midnight >= local_end:
                break
            for att in by_weekday.get(day.weekday(), ()):
                if not att.applies_on(day, cal.two_weeks):
                    continue
                begin = max(midnight + timedelta(minutes=att.minute_from), local_start)
                finish = min(midnight + timedelta(minutes=att.minute_to), local_end)
                if begin < finish:
                    raw.append((begin - offset, finish - offset))
            day += ONE_DAY
    return tuple(_subtract(_merge(raw), cal.leaves))


def _seconds(delta):
    return delta.days * 86400 + delta.seconds + delta.microseconds / 1e6


def _round_second(moment):
    if moment.microsecond >= 500000:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0)


def working_hours_between(cal, start, end):
    """Working hours of ``cal`` between two instants (0 when ``end <= start``)."""
    if not start or not end or end <= start:
        return 0.0
    total = sum(_seconds(b - a) for a, b in working_intervals(cal, start, end))
    return total / 3600.0


def add_working_hours(cal, start, hours):
    """The instant at which ``hours`` working hours have elapsed from ``start``.

    ``hours <= 0`` returns ``start``. Raises ``ValueError`` when the calendar
    has no working time within :data:`SEARCH_HORIZON`."""
    remaining = timedelta(seconds=round(hours * 3600, 6)) if hours > 0 else timedelta(0)
    if not remaining:
        return start
    if not cal.has_working_time:
        raise ValueError("The calendar has no working time.")
    window = timedelta(days=7)
    cursor = start
    limit = start + SEARCH_HORIZON
    while cursor < limit:
        stop = cursor + window
        for begin, finish in working_intervals(cal, cursor, stop):
            length = finish - begin
            if length >= remaining:
                return _round_second(begin + remaining)
            remaining -= length
        cursor = stop
        window = min(window * 2, timedelta(days=92))
    raise ValueError("No working time found in the next %s days." % SEARCH_HORIZON.days)


class ClockPlan(NamedTuple):
    """What a clock's pauses make of it (see :func:`plan_clock`)."""

    deadline: datetime
    paused_hours: float  # working hours of the ended pauses that count
    paused_since: datetime | None  # start of the pause stopping the clock now (None: running or stopped)


def _pause_sequence(start, pauses, stop):
    """The ``pauses`` (``(begin, end or None)``: None while it lasts) that can
    stop a clock running from ``start`` until ``stop`` (None: still running):
    cut to [start, stop], merged, sorted; at most the last one is open."""
    horizon = datetime.max
    cut = []
    for begin, end in pauses:
        begin, end = max(begin, start), min(end or horizon, stop or horizon)
        if begin < end:
            cut.append((begin, end))
    merged = []
    for begin, end in sorted(cut):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return [(begin, None if end == horizon else end) for begin, end in merged]


def plan_clock(cal, start, hours, pauses=(), stop=None):
    """Deadline of a clock of ``hours`` working hours started at ``start``,
    derived from the record of its ``pauses``: ``(pause_start, pause_end)``
    UTC pairs in any order (they may overlap; ``pause_end`` None while the
    pause lasts). ``stop``: when the clock stopped for good (its target was
    reached), None while it runs; what comes after it does not count.

    A pause pushes the deadline by the working hours it lasts after
    ``start``, when it begins before the deadline the earlier pauses give: a
    clock already past its deadline has failed and no longer stops. A pause
    that still lasts (and began in time) stops the clock: ``paused_since`` is
    its start, the deadline is the one of the ended pauses (it moves when the
    pause ends). This is how helpdesk SLA lines derive their deadline and
    ``paused_hours`` from the pause log.

    Raises ``ValueError`` when the calendar has no working time."""
    paused = 0.0
    deadline = add_working_hours(cal, start, hours)
    for pause_start, pause_end in _pause_sequence(start, pauses, stop):
        if pause_start >= deadline:
            break
        if pause_end is None:
            return ClockPlan(deadline, paused, pause_start)
        paused += working_hours_between(cal, pause_start, pause_end)
        deadline = add_working_hours(cal, start, hours + paused)
    return ClockPlan(deadline, paused, None)


def paused_working_hours(cal, start, hours, pauses=()):
    """Working hours by which the ended ``pauses`` (``(pause_start,
    pause_end)`` UTC pairs) push the deadline of a clock of ``hours`` working
    hours started at ``start`` (see :func:`plan_clock`)."""
    return plan_clock(cal, start, hours, pauses).paused_hours


def deadline_with_pauses(cal, start, hours, pauses=()):
    """Deadline of a clock of ``hours`` working hours started at ``start`` that
    stops during the ended ``pauses`` (see :func:`plan_clock`)."""
    return plan_clock(cal, start, hours, pauses).deadline
