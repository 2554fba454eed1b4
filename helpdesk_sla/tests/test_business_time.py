"""Business-time engine against a brute-force, minute-by-minute reference.

The reference never uses the engine's interval arithmetic: it converts every
UTC minute to local time with pytz and asks "is this wall-clock minute inside
an attendance of that local day, and outside every leave?"."""

from datetime import date, datetime, timedelta

import pytz
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from odoo.tests.common import TransactionCase, tagged

from odoo.addons.helpdesk_sla.tools import business_time as bt

MINUTE = timedelta(minutes=1)

TIMEZONES = [
    "UTC",
    "Europe/Brussels",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/St_Johns",  # -03:30 / -02:30
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
]
# instants close to DST changes of the zones above, so that horizons cross them
ANCHORS = [
    datetime(2024, 3, 30, 12, 0),  # Europe spring forward (31 March)
    datetime(2024, 10, 26, 12, 0),  # Europe fall back (27 October)
    datetime(2024, 3, 9, 12, 0),  # US spring forward (10 March)
    datetime(2024, 11, 2, 12, 0),  # US fall back (3 November)
    datetime(2024, 4, 6, 0, 0),  # Lord Howe / Chatham end of DST (7 April)
    datetime(2024, 9, 28, 0, 0),  # Chatham start of DST (29 September)
    datetime(2024, 6, 14, 3, 0),
]

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _week_parity(day):
    return (day.toordinal() - 1) // 7 % 2


def brute_is_working(cal, moment):
    """Reference: is the UTC minute starting at ``moment`` working time?"""
    if cal.always_open:
        working = True
    else:
        local = pytz.utc.localize(moment).astimezone(pytz.timezone(cal.tz)).replace(tzinfo=None)
        minute = local.hour * 60 + local.minute
        day = local.date()
        working = False
        for att in cal.attendances:
            if att.dayofweek != day.weekday():
                continue
            if cal.two_weeks and att.week_type is not None and _week_parity(day) != att.week_type:
                continue
            if (att.date_from and day < att.date_from) or (att.date_to and day > att.date_to):
                continue
            if att.minute_from <= minute < att.minute_to:
                working = True
                break
    if working:
        for leave_start, leave_end in cal.leaves:
            if leave_start <= moment < leave_end:
                return False
    return working


def brute_minutes_between(cal, start, end, pauses=()):
    count = 0
    moment = start
    while moment < end:
        if brute_is_working(cal, moment) and not any(a <= moment < b for a, b in pauses):
            count += 1
        moment += MINUTE
    return count


def brute_add(cal, start, minutes, pauses=(), limit=timedelta(days=40)):
    """End of the ``minutes``-th counted working minute after ``start`` (None if
    not reached within ``limit``)."""
    if minutes <= 0:
        return start
    count = 0
    moment = start
    stop = start + limit
    while moment < stop:
        if brute_is_working(cal, moment) and not any(a <= moment < b for a, b in pauses):
            count += 1
            if count == minutes:
                return moment + MINUTE
        moment += MINUTE
    return None


def brute_clock(cal, start, minutes, pauses, stop=None, limit=timedelta(days=40)):
    """Reference of ``plan_clock``: a clock ticking minute by minute from
    ``start``. It does not tick during the minutes covered by a pause (before
    ``stop``); a pause running forever (still open) stops it for good, from
    the first minute of that paused stretch; it is due when ``minutes``
    working minutes have ticked: a pause beginning then no longer stops it."""
    def paused(moment):
        if stop is not None and moment >= stop:
            return False
        return any(a <= moment and (b is None or moment < b) for a, b in pauses)

    last_end = max([b for a, b in pauses if b is not None] + [start])

    def stretch_never_ends(moment):
        if stop is not None:
            return False  # nothing stops the clock after its stop
        while paused(moment):
            if moment >= last_end:
                return True  # only a pause still open covers it
            moment += MINUTE
        return False

    counted = paused_minutes = 0
    moment = start
    while counted < minutes:
        if moment >= start + limit:
            return None
        if paused(moment):
            if (moment == start or not paused(moment - MINUTE)) and stretch_never_ends(moment):
                return bt.ClockPlan(brute_add(cal, start, minutes + paused_minutes), paused_minutes / 60, moment)
            paused_minutes += brute_is_working(cal, moment)
        elif brute_is_working(cal, moment):
            counted += 1
        moment += MINUTE
    return bt.ClockPlan(moment, paused_minutes / 60, None)  # the end of the last minute that ticked


# -- strategies --------------------------------------------------------------
quarter = st.integers(min_value=0, max_value=96).map(lambda q: q * 15)


@st.composite
def attendances(draw, two_weeks):
    atts = []
    # at least three working days so that brute-force searches stay short
    days = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    for day in sorted(days):
        shifts = draw(st.integers(1, 2))  # split shifts
        bounds = sorted(draw(st.lists(quarter, min_size=shifts * 2, max_size=shifts * 2, unique=True)))
        for i in range(shifts):
            week = draw(st.sampled_from([None, 0, 1])) if two_weeks else None
            atts.append(bt.Attendance(day, bounds[2 * i], bounds[2 * i + 1], week))
    return atts


@st.composite
def calendars(draw):
    tz = draw(st.sampled_from(TIMEZONES))
    two_weeks = draw(st.booleans())
    atts = draw(attendances(two_weeks))
    anchor = draw(st.sampled_from(ANCHORS))
    leaves = []
    for _i in range(draw(st.integers(0, 3))):
        start = anchor + timedelta(minutes=15 * draw(st.integers(-96, 96 * 6)))
        leaves.append((start, start + timedelta(minutes=15 * draw(st.integers(1, 96 * 2)))))
    always_open = draw(st.booleans()) if not leaves else False
    cal = bt.make_calendar(tz=tz, attendances=atts, leaves=leaves, two_weeks=two_weeks,
                           always_open=always_open and draw(st.integers(0, 9)) == 0)
    return cal, anchor


@st.composite
def instants(draw, anchor, max_days=4):
    return anchor + timedelta(minutes=draw(st.integers(-60 * 24, 60 * 24 * max_days)))


@tagged("post_install", "-at_install")
class TestBusinessTime(TransactionCase):
    # -- examples a user would recognise -----------------------------------
    def _office(self, tz="Europe/Brussels", leaves=()):
        """Mon-Fri 8:00-12:00 and 13:00-17:00."""
        atts = [(d, 8, 12) for d in range(5)] + [(d, 13, 17) for d in range(5)]
        return bt.make_calendar(tz=tz, attendances=atts, leaves=leaves)

    def test_plan_over_lunch_night_and_weekend(self):
        cal = self._office()
        # Friday 2024-06-14 15:00 Brussels (13:00 UTC) + 4h: 2h on Friday, 2h on Monday
        deadline = bt.add_working_hours(cal, datetime(2024, 6, 14, 13, 0), 4)
        self.assertEqual(deadline, datetime(2024, 6, 17, 8, 0))  # Monday 10:00 local
        # 11:00 local + 2h crosses lunch: 14:00 local
        self.assertEqual(bt.add_working_hours(cal, datetime(2024, 6, 17, 9, 0), 2), datetime(2024, 6, 17, 12, 0))
        self.assertEqual(bt.working_hours_between(cal, datetime(2024, 6, 14, 13, 0), datetime(2024, 6, 17, 8, 0)), 4)

    def test_public_holiday_is_skipped(self):
        # Monday 2024-06-17 is a holiday (whole local day)
        cal = self._office(leaves=[(datetime(2024, 6, 16, 22, 0), datetime(2024, 6, 17, 22, 0))])
        deadline = bt.add_working_hours(cal, datetime(2024, 6, 14, 13, 0), 4)
        self.assertEqual(deadline, datetime(2024, 6, 18, 8, 0))  # Tuesday 10:00 local

    def test_dst_night_shift(self):
        # night shift 01:00-05:00 every day; Brussels springs forward on 2024-03-31 at 02:00
        cal = bt.make_calendar(tz="Europe/Brussels", attendances=[(d, 1, 5) for d in range(7)])
        self.assertEqual(bt.working_hours_between(cal, datetime(2024, 3, 30, 12), datetime(2024, 3, 31, 12)), 3)
        self.assertEqual(bt.working_hours_between(cal, datetime(2024, 10, 26, 12), datetime(2024, 10, 27, 12)), 5)

    def test_two_week_calendar(self):
        monday_even = date(2024, 6, 17)
        parity = bt.week_type(monday_even)
        cal = bt.make_calendar(attendances=[(0, 9, 17, parity)], two_weeks=True)
        start = datetime.combine(monday_even, datetime.min.time())
        self.assertEqual(bt.working_hours_between(cal, start, start + timedelta(days=14)), 8)
        # 10 hours: 8 this Monday, 2 on the Monday two weeks later
        self.assertEqual(bt.add_working_hours(cal, start, 10), start + timedelta(days=14, hours=11))

    def test_no_working_time(self):
        cal = bt.make_calendar(attendances=[])
        with self.assertRaises(ValueError):
            bt.add_working_hours(cal, datetime(2024, 1, 1), 1)
        self.assertEqual(bt.add_working_hours(cal, datetime(2024, 1, 1), 0), datetime(2024, 1, 1))
        self.assertEqual(bt.add_working_hours(bt.ALWAYS_OPEN, datetime(2024, 1, 1), 30), datetime(2024, 1, 2, 6))

    def test_calendar_from_record(self):
        calendar = self.env["resource.calendar"].create({
            "name": "SLA test hours",
            "tz": "America/New_York",
            "attendance_ids": [
                (0, 0, {"name": "Mon", "dayofweek": "0", "hour_from": 9, "hour_to": 17, "day_period": "morning"}),
            ],
        })
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": calendar.id,
            "date_from": datetime(2024, 6, 17, 13, 0), "date_to": datetime(2024, 6, 17, 15, 0),
        })
        cal = bt.calendar_from_record(calendar)
        self.assertEqual(cal.tz, "America/New_York")
        # Monday 2024-06-17 9:00-17:00 EDT = 13:00-21:00 UTC, minus 2 hours of leave
        self.assertEqual(bt.working_hours_between(cal, datetime(2024, 6, 17), datetime(2024, 6, 18)), 6)
        self.assertIs(bt.calendar_from_record(self.env["resource.calendar"]), bt.ALWAYS_OPEN)

    # -- properties against the brute-force reference ------------------------
    @SETTINGS
    @given(data=st.data())
    def test_hours_between_matches_reference(self, data):
        cal, anchor = data.draw(calendars())
        start = data.draw(instants(anchor))
        end = start + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 4)))
        expected = brute_minutes_between(cal, start, end)
        self.assertAlmostEqual(bt.working_hours_between(cal, start, end) * 60, expected, places=6)

    @SETTINGS
    @given(data=st.data())
    def test_add_hours_matches_reference(self, data):
        cal, anchor = data.draw(calendars())
        start = data.draw(instants(anchor))
        minutes = data.draw(st.integers(0, 60 * 16))
        expected = brute_add(cal, start, minutes)
        assume(expected is not None)
        self.assertEqual(bt.add_working_hours(cal, start, minutes / 60), expected)

    @SETTINGS
    @given(data=st.data())
    def test_pauses_match_reference(self, data):
        cal, anchor = data.draw(calendars())
        start = data.draw(instants(anchor, max_days=1))
        minutes = data.draw(st.integers(1, 60 * 12))
        # disjoint pause sequence after the start
        pauses = []
        cursor = start
        for _i in range(data.draw(st.integers(0, 3))):
            cursor += timedelta(minutes=data.draw(st.integers(0, 60 * 24)))
            end = cursor + timedelta(minutes=data.draw(st.integers(1, 60 * 24)))
            pauses.append((cursor, end))
            cursor = end
        expected = brute_add(cal, start, minutes, pauses)
        assume(expected is not None)
        self.assertEqual(bt.deadline_with_pauses(cal, start, minutes / 60, pauses), expected)

    # -- a clock derived from its pause record ---------------------------------
    def test_plan_clock_example(self):
        cal = self._office()
        monday_9 = datetime(2024, 6, 17, 7, 0)  # Brussels
        waiting = (datetime(2024, 6, 17, 8, 0), datetime(2024, 6, 17, 10, 0))  # 10:00-12:00
        plan = bt.plan_clock(cal, monday_9, 8, [waiting])
        self.assertEqual(plan, bt.ClockPlan(datetime(2024, 6, 18, 9, 0), 2.0, None))
        # the same pause still lasting: the clock is stopped since 10:00
        plan = bt.plan_clock(cal, monday_9, 8, [(waiting[0], None)])
        self.assertEqual(plan, bt.ClockPlan(datetime(2024, 6, 18, 7, 0), 0.0, waiting[0]))
        # reached at 11:00 during the pause: one paused hour counts
        plan = bt.plan_clock(cal, monday_9, 8, [(waiting[0], None)], stop=datetime(2024, 6, 17, 9, 0))
        self.assertEqual(plan, bt.ClockPlan(datetime(2024, 6, 18, 8, 0), 1.0, None))
        # a one-hour clock was due at 10:00 when the pause began: it does not stop
        self.assertEqual(bt.plan_clock(cal, monday_9, 1, [(waiting[0], None)]),
                         bt.ClockPlan(waiting[0], 0.0, None))

    @SETTINGS
    @given(data=st.data())
    def test_plan_clock_matches_reference(self, data):
        """Any pause record (overlapping rows, rows before the start, the last one
        still open), running or stopped clock, against a minute-by-minute clock."""
        cal, anchor = data.draw(calendars())
        start = data.draw(instants(anchor, max_days=1))
        minutes = data.draw(st.integers(1, 60 * 12))
        minute_offsets = st.integers(-60 * 12, 60 * 24 * 3)
        pauses = []
        for _i in range(data.draw(st.integers(0, 4))):
            begin = start + timedelta(minutes=data.draw(minute_offsets))
            pauses.append((begin, begin + timedelta(minutes=data.draw(st.integers(0, 60 * 24)))))
        if data.draw(st.booleans()):
            pauses.append((start + timedelta(minutes=data.draw(minute_offsets)), None))
        stop = None
        if data.draw(st.booleans()):
            stop = start + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 3)))

        expected = brute_clock(cal, start, minutes, pauses, stop)
        assume(expected is not None and expected.deadline is not None)
        plan = bt.plan_clock(cal, start, minutes / 60, pauses, stop=stop)
        self.assertEqual((plan.deadline, plan.paused_since), (expected.deadline, expected.paused_since))
        self.assertAlmostEqual(plan.paused_hours, expected.paused_hours, places=6)
