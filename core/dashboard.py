"""The program dashboard: how the program is doing, by cohort (the month participants started) and
overall — census, attendance rate, diary-card adherence, average PHQ-9 / GAD-7 change from intake
to the latest, and completion rate.

Aggregates only: four grouped queries whatever the size of the program (no query per person), and
what leaves this module is counts, rates and averages — never a name, a note or a single answer.
The admin sees the whole program, a therapist their own caseload; each view is audited (area
"dashboard"). Definitions, each checked against a hand-computed fixture in tests/unit/test_dashboard.py:

- census: enrolled (start date still ahead), active, and discharged by status;
- attendance rate: sessions attended (present or late) / sessions held for them (excused left out);
- diary-card adherence: cards filled in / days in the program so far (from the start date to today,
  the discharge day or the program's last day, whichever comes first);
- PHQ-9 / GAD-7 change: the average over participants with two or more of that check-up of
  latest total - first total (negative is better);
- completion rate: discharged as "completed" / everyone discharged.

Small numbers (`Dashboard.rows`, what the screen shows): a figure computed from fewer than
clinical.MIN_CELL_SIZE people is hidden — a count of 1 to 4, a rate or average over 1 to 4 people —
and so is one more cell wherever a total and all but one of its parts would give a hidden count away
by subtraction (a cohort's people = enrolled + active + each discharge status; the "All" row = the sum
of the cohorts; discharged = the sum of the statuses). A completion rate is hidden with its completed
count (the rate times the shown number discharged would give it back). The raw `Figures` stay in core
for tests; pages show `rows` only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func
from sqlalchemy import select as core_select  # (sqlmodel's select types four columns at most)
from sqlmodel import Session, col, select

from core import clinical
from core.access import Actor, record, require_role
from core.models import AppUser, Attendance, CaseloadAssignment, Checkup, DiaryCard, Discharge, Program, Role, saved_id


@dataclass
class Figures:
    cohort: str  # "2026-09", or "All"
    people: int = 0
    enrolled: int = 0
    active: int = 0
    discharged: dict[str, int] = field(default_factory=dict)
    attended: int = 0
    held: int = 0
    cards: int = 0
    days: int = 0
    changes: dict[str, list[int]] = field(default_factory=lambda: {"phq9": [], "gad7": []})
    attending: int = 0  # people with a session held for them (the attendance rate's people)
    expected: int = 0  # people with days in the program so far (the adherence's people)

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.held if self.held else None

    @property
    def adherence(self) -> float | None:
        return self.cards / self.days if self.days else None

    def change(self, kind: str) -> float | None:
        values = self.changes[kind]
        return sum(values) / len(values) if values else None

    @property
    def completion_rate(self) -> float | None:
        total = sum(self.discharged.values())
        return self.discharged.get("completed", 0) / total if total else None


@dataclass(frozen=True)
class Hidden:
    """A figure not shown. `small`: it came from 1 to MIN_CELL_SIZE - 1 people (or is such a count, or 0);
    otherwise it is hidden only so that a hidden one cannot be worked out from a total."""

    small: bool = True

    def __str__(self) -> str:
        return f"fewer than {clinical.MIN_CELL_SIZE}" if self.small else "hidden"


Count = int | Hidden
Rate = float | None | Hidden
Cell = tuple[int, str]  # (row, column) of the census


@dataclass(frozen=True)
class Row:
    """One row of the dashboard as shown: each figure, or Hidden (small numbers)."""

    cohort: str
    people: Count
    enrolled: Count
    active: Count
    discharged: dict[str, Count]  # each of clinical.DISCHARGE_STATUSES
    discharged_total: Count
    attendance_rate: Rate
    adherence: Rate
    change: dict[str, Rate]  # "phq9", "gad7"
    completion_rate: Rate


@dataclass(frozen=True)
class Dashboard:
    cohorts: list[Figures]
    total: Figures

    @property
    def rows(self) -> list[Row]:
        """What may be shown: the cohorts, then "All", with small numbers hidden."""
        return _shown([*self.cohorts, self.total])


def _rate(value: float | None, people: int) -> Rate:
    return Hidden() if 0 < people < clinical.MIN_CELL_SIZE else value


def _shown(groups: list[Figures]) -> list[Row]:
    statuses = list(clinical.DISCHARGE_STATUSES)
    columns = ["people", "enrolled", "active", *statuses]
    cells: dict[Cell, int] = {}
    for r, f in enumerate(groups):
        cells.update({(r, "people"): f.people, (r, "enrolled"): f.enrolled, (r, "active"): f.active})
        cells.update({(r, s): f.discharged.get(s, 0) for s in statuses})
    last = len(groups) - 1  # the "All" row
    cells[(last, "discharged")] = sum(groups[last].discharged.values())
    sums: list[tuple[Cell, list[Cell]]] = [((r, "people"), [(r, c) for c in columns[1:]]) for r in range(len(groups))]
    sums += [((last, c), [(r, c) for r in range(last)]) for c in columns]
    sums.append(((last, "discharged"), [(last, s) for s in statuses]))
    hidden = _complementary(cells, sums)

    def count(key: Cell) -> Count:
        return Hidden(small=cells[key] < clinical.MIN_CELL_SIZE) if key in hidden else cells[key]

    rows = []
    for r, f in enumerate(groups):
        discharged = sum(f.discharged.values())
        completion = _rate(f.completion_rate, discharged)
        if (r, "completed") in hidden:
            completion = Hidden(small=True)
        rows.append(
            Row(
                cohort=f.cohort,
                people=count((r, "people")),
                enrolled=count((r, "enrolled")),
                active=count((r, "active")),
                discharged={s: count((r, s)) for s in statuses},
                discharged_total=count((r, "discharged")) if r == last else Hidden(small=False),  # (not shown)
                attendance_rate=_rate(f.attendance_rate, f.attending),
                adherence=_rate(f.adherence, f.expected),
                change={kind: _rate(f.change(kind), len(f.changes[kind])) for kind in ("phq9", "gad7")},
                completion_rate=completion,
            )
        )
    return rows


def _complementary(cells: dict[Cell, int], sums: list[tuple[Cell, list[Cell]]]) -> set[Cell]:
    """The cells to hide: every count of 1 to MIN_CELL_SIZE - 1 (primary), then, wherever a total and its
    parts have exactly one hidden cell between them (so subtraction would give it back), the smallest
    shown part as well (or the total, when no part is left) until no sum has a single hidden cell. The
    usual secondary suppression; it stops simple subtraction, not a determined solver of the whole table."""
    hidden = {key for key, value in cells.items() if 0 < value < clinical.MIN_CELL_SIZE}
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            members = [total, *parts]
            if sum(key in hidden for key in members) != 1:
                continue
            candidates = [key for key in parts if key not in hidden] or [total]
            hidden.add(min(candidates, key=lambda key: cells[key]))
            changed = True
    return hidden


def program_dashboard(session: Session, actor: Actor, today: date) -> Dashboard:
    """The figures, by cohort and overall (see the module's definitions)."""
    require_role(session, actor, Role.ADMIN, Role.THERAPIST, what="dashboard")
    people_query = (
        core_select(
            col(AppUser.id),
            col(AppUser.started_on),
            col(Discharge.day),
            col(Discharge.status),
            col(Program.length_weeks),
        )
        .outerjoin(Discharge, col(Discharge.participant_id) == col(AppUser.id))
        .outerjoin(Program, col(Program.id) == col(AppUser.program_id))
        .where(
            col(AppUser.role) == Role.PARTICIPANT.value,
            col(AppUser.is_active).is_(True),
            col(AppUser.program_id) == actor.program_id,
        )
    )
    if actor.role is Role.THERAPIST:
        people_query = people_query.join(
            CaseloadAssignment, col(CaseloadAssignment.participant_id) == col(AppUser.id)
        ).where(col(CaseloadAssignment.therapist_id) == actor.id)
    scope = people_query.subquery()
    people = [
        (saved_id(pid), started, day, status, weeks)
        for pid, started, day, status, weeks in session.execute(people_query).all()
    ]
    ids = select(scope.c.id)

    came = func.sum(case((col(Attendance.status).in_(tuple(clinical.ATTENDED)), 1), else_=0))
    held = func.sum(case((col(Attendance.status) != "excused", 1), else_=0))
    attendance = {
        pid: (int(c or 0), int(h or 0))
        for pid, c, h in session.exec(
            select(Attendance.participant_id, came, held)
            .where(col(Attendance.participant_id).in_(ids), Attendance.day <= today)
            .group_by(col(Attendance.participant_id))
        ).all()
    }
    windows = {pid: _window(started, day, weeks, today) for pid, started, day, _status, weeks in people}
    inside = {pid: w for pid, w in windows.items() if w}
    cards: dict[int, int] = {}
    if inside:  # cards inside each person's own window, counted in SQL
        first_day = case({pid: w[0] for pid, w in inside.items()}, value=DiaryCard.participant_id)
        last_day = case({pid: w[1] for pid, w in inside.items()}, value=DiaryCard.participant_id)
        cards = {
            pid: int(n)
            for pid, n in session.exec(
                select(DiaryCard.participant_id, func.count(col(DiaryCard.id)))
                .where(
                    col(DiaryCard.participant_id).in_(list(inside)),
                    DiaryCard.day >= first_day,
                    DiaryCard.day <= last_day,
                )
                .group_by(col(DiaryCard.participant_id))
            ).all()
        }
    ranked = (
        core_select(
            col(Checkup.participant_id),
            col(Checkup.kind),
            col(Checkup.total),
            func.row_number()
            .over(
                partition_by=(col(Checkup.participant_id), col(Checkup.kind)),
                order_by=(col(Checkup.day), col(Checkup.id)),
            )
            .label("first"),
            func.row_number()
            .over(
                partition_by=(col(Checkup.participant_id), col(Checkup.kind)),
                order_by=(col(Checkup.day).desc(), col(Checkup.id).desc()),
            )
            .label("last"),
            func.count().over(partition_by=(col(Checkup.participant_id), col(Checkup.kind))).label("n"),
        )
        .where(col(Checkup.participant_id).in_(ids), col(Checkup.kind).in_(("phq9", "gad7")))
        .subquery()
    )
    ends: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for pid, kind, total, first, last in session.execute(
        core_select(ranked.c.participant_id, ranked.c.kind, ranked.c.total, ranked.c.first, ranked.c.last).where(
            ranked.c.n >= 2, (ranked.c.first == 1) | (ranked.c.last == 1)
        )
    ).all():
        if first == 1:
            ends[(pid, kind)]["first"] = total
        if last == 1:
            ends[(pid, kind)]["last"] = total

    by_cohort: dict[str, Figures] = {}
    total = Figures("All")
    for pid, started, day, status, _weeks in people:
        cohort = f"{started:%Y-%m}" if started else "No start date"
        group = by_cohort.setdefault(cohort, Figures(cohort))
        for figures in (group, total):
            figures.people += 1
            if day is not None:
                figures.discharged[status] = figures.discharged.get(status, 0) + 1
            elif started is not None and started > today:
                figures.enrolled += 1
            else:
                figures.active += 1
            c, h = attendance.get(pid, (0, 0))
            figures.attended += c
            figures.held += h
            figures.attending += h > 0
            window = windows.get(pid)
            if window:
                figures.expected += 1
                figures.cards += cards.get(pid, 0)
                figures.days += (window[1] - window[0]).days + 1
            for kind in ("phq9", "gad7"):
                pair = ends.get((pid, kind))
                if pair and "first" in pair and "last" in pair:
                    figures.changes[kind].append(pair["last"] - pair["first"])
    record(session, actor, category="dashboard", action="read")
    return Dashboard(sorted(by_cohort.values(), key=lambda f: f.cohort), total)


def _window(started: date | None, discharged: date | None, weeks: int | None, today: date) -> tuple[date, date] | None:
    """The days a participant was expected to fill in a card: start to today, their discharge day
    or the program's last day, whichever is first; None before they start."""
    if started is None or started > today:
        return None
    last = today
    if discharged is not None:
        last = min(last, discharged)
    if weeks:
        last = min(last, started + timedelta(weeks=weeks) - timedelta(days=1))
    return (started, last) if last >= started else None
