"""Background tasks of the appointments app (run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from skinterval.appointments.optimizer_runs import run_optimizer


@task()
def optimize_calendar_task(run_id: int) -> None:
    """Solve one OptimizerRun (see optimizer_runs.run_optimizer)."""
    run_optimizer(run_id)


@task()
def offer_freed_times_task(appointment_ids: list[int]) -> None:
    """Offer the times these cancelled appointments freed to the waitlist
    (see waitlist.offer_freed_times)."""
    from django.utils import timezone

    from skinterval.appointments.waitlist import offer_freed_times

    offer_freed_times(appointment_ids, now=timezone.now())
