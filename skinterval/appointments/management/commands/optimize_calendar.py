"""`manage.py optimize_calendar --clinic SLUG --from DATE --to DATE [--apply]`

Shows progress while the optimizer runs, then the proposed changes; with --apply
books them through the normal booking path, all or nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from skinterval.appointments.calendar_optimizer import (
    OptimizationRefused,
    apply_solution,
    build_problem,
    changes_booking,
    optimize_calendar,
)
from skinterval.clinics.models import Clinic, Location
from skinterval.domain.optimizer_model import Progress


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Re-plan pending series sessions of a clinic with the calendar optimizer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="the clinic's short name")
        parser.add_argument("--from", dest="first_on", required=True, type=_day)
        parser.add_argument("--to", dest="last_on", required=True, type=_day)
        parser.add_argument("--location", help="location name (default: every one)")
        parser.add_argument("--time-limit", type=float, default=30.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--apply", action="store_true", help="book the proposed changes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic = Clinic.objects.get(slug=options["clinic"])
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic {options['clinic']!r}.") from None
        if options["last_on"] < options["first_on"]:
            raise CommandError("--to is before --from.")
        locations = Location.objects.filter(clinic=clinic)
        if options["location"]:
            locations = locations.filter(name=options["location"])
            if not locations:
                raise CommandError(f"No location {options['location']!r}.")
        now = timezone.now()
        for location in locations:
            self._one(clinic, location, now, options)

    def _one(
        self, clinic: Clinic, location: Location, now: Any, options: dict[str, Any]
    ) -> None:
        problem = build_problem(
            clinic=clinic,
            location=location,
            first_on=options["first_on"],
            last_on=options["last_on"],
            now=now,
        )
        count = sum(len(s.sessions) for s in problem.instance.series)
        self.stdout.write(f"{location.name}: {count} pending sessions to place.")
        if not count:
            return

        def show(p: Progress) -> None:
            self.stderr.write(
                f"  {p.elapsed_s:6.1f} s  {p.phase:<12} objective "
                f"{_num(p.objective)}  bound {_num(p.bound)}"
            )

        solution = optimize_calendar(
            problem=problem,
            time_limit_s=options["time_limit"],
            seed=options["seed"],
            progress=show,
        )
        changed = [
            a
            for a in solution.assignments
            if changes_booking(problem.current.get((a.series_id, a.number)), a)
        ]
        self.stdout.write(
            f"  status {solution.status}, objective {_num(solution.objective)}, "
            f"bound {_num(solution.bound)}, gap {_pct(solution.gap)}; "
            f"{len(changed)} to book or move, {len(solution.unscheduled)} unplaced."
        )
        zone = clinic.zone
        for a in changed[:50]:
            self.stdout.write(
                f"    {a.series_id} session {a.number}: "
                f"{a.start_at.astimezone(zone):%a %d %b %Y %H:%M} with {a.practitioner}"
                f" in {a.room}"
            )
        if not options["apply"]:
            self.stdout.write("  Dry run: nothing booked (use --apply).")
            return
        try:
            done = apply_solution(problem=problem, solution=solution, now=now)
        except OptimizationRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"  Booked or moved {len(done)}."))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"
