"""The clinic owner's audit log page: search the clinic's events, newest first,
and see whether the newest part of the chain checks out (docs/audit.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from skinterval.audit.forms import OBJECT_TYPES, AuditSearchForm
from skinterval.audit.models import ActorRole, AuditEvent
from skinterval.audit.queries import PAGE_CHECK_ROWS, events_for_owner, verify_chain
from skinterval.audit.sealing import seal_pending
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock

PAGE_SIZE = 50
# Objects with a page of their own, linked from their rows.
_PAGES = {
    "patients.patient": "patients:detail",
    "plans.plan": "plans:detail",
    "appointments.appointment": "appointments:detail",
}


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    actor: str
    what: str
    url: str | None


@staff_required(StaffRole.OWNER)
def search(request: HttpRequest) -> HttpResponse:
    member = require_staff(request.user, [StaffRole.OWNER])
    clinic = member.clinic
    staff = list(
        StaffMember.objects.filter(clinic=clinic).order_by("display_name", "pk")
    )
    form = AuditSearchForm(request.GET or None, staff=staff)
    rows: QuerySet[AuditEvent]
    if form.is_bound and not form.is_valid():
        rows = AuditEvent.objects.none()
    else:
        rows = events_for_owner(request.user, **_filters(form, clinic.zone))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    names = {m.user_id: m.display_name for m in staff}
    seal_pending()  # a row left unsealed by a crash is chained before the check
    chain = verify_chain(last=PAGE_CHECK_ROWS)
    others = request.GET.copy()
    others.pop("page", None)
    return render(
        request,
        "audit/search.html",
        {
            "clinic": clinic,
            "form": form,
            "page": page,
            "entries": [_entry(e, names) for e in page.object_list],
            "chain": chain,
            "broken_here": chain.broken_at_id is not None
            and AuditEvent.objects.filter(
                pk=chain.broken_at_id, clinic_id=clinic.pk
            ).exists(),
            "filters": others.urlencode(),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _filters(form: AuditSearchForm, zone: Any) -> dict[str, Any]:
    if not form.is_bound:
        return {}
    data = form.cleaned_data
    filters: dict[str, Any] = {
        "action": data.get("action") or "",
        "object_type": data.get("object_type") or "",
        "object_id": data.get("object_id") or "",
        **form.actor_filter(),
    }
    # Days are the clinic's days: from the start of the first to the end of the last.
    if data.get("from_on"):
        filters["since"] = wallclock.day_bounds(data["from_on"], zone)[0]
    if data.get("to_on"):
        filters["until"] = wallclock.day_bounds(data["to_on"], zone)[1]
    return filters


def _entry(event: AuditEvent, names: dict[int, str]) -> Entry:
    return Entry(
        event=event,
        actor=_actor(event, names),
        what=_what(event, names),
        url=_url(event),
    )


def _actor(event: AuditEvent, names: dict[int, str]) -> str:
    uid = event.actor_user_id
    if uid is not None and uid in names:
        return f"{names[uid]} ({event.get_actor_role_display()})"
    if event.actor_role == ActorRole.PATIENT:
        return _("Patient (login %(id)s)") % {"id": uid}
    if uid is not None:
        return _("Login %(id)s (%(role)s)") % {
            "id": uid,
            "role": event.get_actor_role_display(),
        }
    return str(event.get_actor_role_display())


def _what(event: AuditEvent, names: dict[int, str]) -> str:
    if not event.object_type:
        return ""
    label = str(OBJECT_TYPES.get(event.object_type, event.object_type))
    if event.object_type == "accounts.user" and event.object_id.isdigit():
        name = names.get(int(event.object_id))
        if name:
            return f"{label}: {name}"
    if event.object_id:
        return f"{label} {event.object_id}"
    if event.row_count is not None:
        return _("%(type)s: a list of %(n)s") % {"type": label, "n": event.row_count}
    return label


def _url(event: AuditEvent) -> str | None:
    name = _PAGES.get(event.object_type)
    if name is None or not event.object_id:
        return None
    try:
        return reverse(name, args=[event.object_id])
    except NoReverseMatch:
        return None
