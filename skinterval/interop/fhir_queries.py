"""The rows of one patient (or one clinic) as the FHIR mapper's input.

`patient_record` reads everything of a patient that the FHIR export holds; the
caller has already loaded the patient through a permission-checked loader
(`get_patient_for_user`) or, for the bulk export, from the one clinic being
exported. Every query is filtered by the patient and its clinic.

What is left out: booking holds (and the cancelled rows they leave behind),
photos that the photo-consent rule hides (`photos.queries.shown`), and session
charts that were not completed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.charting.models import (
    ChartStatus,
    Consent,
    PhotoScope,
    SessionChart,
)
from skinterval.clinics.models import Clinic, Location, Room, StaffMember
from skinterval.domain.scales import ScaleError, get_scale
from skinterval.interop.calendar_feed import HOLD_REASONS
from skinterval.interop.fhir import Naming
from skinterval.interop.fhir_records import (
    AppointmentData,
    AssessmentData,
    CarePlanData,
    Coded,
    ConsentData,
    PatientData,
    PatientRecord,
    PhotoData,
    PlannedSessionData,
    PractitionerData,
    ProcedureData,
    QualificationData,
    RoomData,
    ScarData,
    ScoreData,
    ScoreItemData,
    SessionWindow,
    SiteData,
    TreatedAreaData,
)
from skinterval.outcomes.models import Score
from skinterval.outcomes.queries import active_holds
from skinterval.outcomes.score_labels import scale_label
from skinterval.patients.labels import AREA_LABELS, SCAR_KIND_LABELS, label
from skinterval.patients.models import Fitzpatrick, Patient
from skinterval.photos.models import Photo
from skinterval.photos.queries import shown
from skinterval.plans.models import Plan, PlanStatus


def fhir_naming() -> Naming:
    """This deployment's FHIR base: SKINTERVAL_BASE_URL and the `/fhir/` mount,
    the same for the HTTP endpoints and the bulk export."""
    root = reverse("fhir:metadata").removesuffix("metadata").rstrip("/")
    return Naming(fhir_base=f"{settings.SKINTERVAL_BASE_URL}{root}")


def _area(code: str) -> Coded:
    return Coded(code, label(AREA_LABELS, code))


# --------------------------------------------------------------- directory


def practitioners(members: Iterable[StaffMember]) -> list[PractitionerData]:
    """Staff as FHIR practitioners; `members` should prefetch qualifications."""
    return [
        PractitionerData(
            id=m.pk,
            name=m.display_name,
            active=m.is_active,
            qualifications=tuple(
                QualificationData(
                    kind=Coded(q.kind, str(q.get_kind_display())),
                    registration_number=q.registration_number,
                    valid_until_on=q.valid_until_on,
                )
                for q in m.qualifications.all()
            ),
        )
        for m in members
    ]


def _staff(clinic: Clinic, ids: Iterable[int] | None = None) -> list[StaffMember]:
    rows = StaffMember.objects.filter(clinic=clinic)
    if ids is not None:
        rows = rows.filter(pk__in=set(ids))
    return list(rows.prefetch_related("qualifications").order_by("pk"))


def _sites(clinic: Clinic, ids: Iterable[int] | None = None) -> list[SiteData]:
    rows = Location.objects.filter(clinic=clinic)
    if ids is not None:
        rows = rows.filter(pk__in=set(ids))
    return [
        SiteData(id=loc.pk, name=loc.name, address=loc.address)
        for loc in rows.order_by("pk")
    ]


def _rooms(clinic: Clinic, ids: Iterable[int] | None = None) -> list[RoomData]:
    rows = Room.objects.filter(clinic=clinic)
    if ids is not None:
        rows = rows.filter(pk__in=set(ids))
    return [
        RoomData(id=r.pk, name=r.name, site_id=r.location_id, active=r.is_active)
        for r in rows.order_by("pk")
    ]


def clinic_directory(
    clinic: Clinic,
) -> tuple[list[PractitionerData], list[SiteData], list[RoomData]]:
    """Every staff member (past ones too: old rows name them), location and
    room of the clinic, for the bulk export."""
    return practitioners(_staff(clinic)), _sites(clinic), _rooms(clinic)


def clinic_patients(clinic: Clinic) -> QuerySet[Patient]:
    return Patient.objects.filter(clinic=clinic).select_related("clinic").order_by("pk")


# --------------------------------------------------------------- one patient


def patient_record(patient: Patient) -> PatientRecord:
    """Everything of `patient` that the FHIR export holds (see the module
    docstring). `patient` must come from a permission-checked loader."""
    clinic = patient.clinic
    latest = (
        Plan.objects.filter(patient=patient, clinic=clinic).order_by("-version").first()
    )
    approved = Plan.objects.filter(
        patient=patient, clinic=clinic, status=PlanStatus.APPROVED
    ).first()
    appointments = _appointments(patient)
    charts = _completed_charts(patient)
    scores = list(
        Score.objects.filter(patient=patient, clinic=clinic).order_by(
            "scored_on", "created_at", "pk"
        )
    )
    photos = list(
        shown(Photo.objects.filter(patient=patient, clinic=clinic)).order_by(
            "taken_on", "uploaded_at", "pk"
        )
    )
    consents = list(
        Consent.objects.filter(patient=patient, clinic=clinic).order_by(
            "signed_at", "pk"
        )
    )

    staff_ids: set[int] = {a.practitioner_id for a in appointments}
    staff_ids |= {c.charted_by_id for c in charts}
    staff_ids |= {s.scored_by_id for s in scores if s.scored_by_id is not None}
    staff_ids |= {p.uploaded_by_id for p in photos}
    if latest is not None:
        staff_ids.add(latest.created_by_id)
    if approved is not None and approved.approved_by_id is not None:
        staff_ids.add(approved.approved_by_id)
    site_ids = {a.location_id for a in appointments}
    site_ids |= {c.appointment.location_id for c in charts}
    room_ids = {a.room_id for a in appointments if a.room_id is not None}

    return PatientRecord(
        patient=_patient(patient, latest),
        practitioners=tuple(practitioners(_staff(clinic, staff_ids))),
        sites=tuple(_sites(clinic, site_ids)),
        rooms=tuple(_rooms(clinic, room_ids)),
        assessment=_assessment(latest) if latest is not None else None,
        care_plan=_care_plan(approved, appointments, charts)
        if approved is not None
        else None,
        appointments=tuple(_appointment(a) for a in appointments),
        procedures=tuple(_procedure(c) for c in charts),
        scores=tuple(_score(s) for s in scores),
        photos=tuple(_photo(p) for p in photos),
        consents=tuple(_consent(c, photos) for c in consents),
    )


def _patient(patient: Patient, latest: Plan | None) -> PatientData:
    fitzpatrick = None
    fitzpatrick_on = None
    if patient.fitzpatrick is not None:
        fitzpatrick = Coded(
            str(patient.fitzpatrick), str(Fitzpatrick(patient.fitzpatrick).label)
        )
        assessed: Any = (latest.assessment or {}).get("patient", {}) if latest else {}
        if latest is not None and assessed.get("fitzpatrick") == patient.fitzpatrick:
            fitzpatrick_on = latest.assessed_on
    return PatientData(
        id=str(patient.pk),
        clinic_slug=patient.clinic.slug,
        clinic_name=patient.clinic.name,
        chart_number=patient.chart_number,
        given_name=patient.given_name,
        family_name=patient.family_name,
        born_on=patient.born_on,
        email=patient.email,
        phone=patient.phone,
        fitzpatrick=fitzpatrick,
        fitzpatrick_on=fitzpatrick_on,
    )


def _assessment(plan: Plan) -> AssessmentData:
    scars = []
    for index, scar in enumerate((plan.assessment or {}).get("scars", [])):
        closed = scar.get("wound_closed_on")
        scars.append(
            ScarData(
                index=index,
                area=_area(scar["area"]),
                kind=Coded(scar["kind"], label(SCAR_KIND_LABELS, scar["kind"])),
                grade=scar.get("grade"),
                count=scar.get("count"),
                wound_closed_on=date.fromisoformat(closed) if closed else None,
            )
        )
    return AssessmentData(
        plan_id=plan.pk,
        assessed_on=plan.assessed_on,
        recorded_by_id=plan.created_by_id,
        scars=tuple(scars),
    )


def _appointments(patient: Patient) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient=patient, clinic=patient.clinic)
        .exclude(status=AppointmentStatus.HELD)
        .exclude(
            status=AppointmentStatus.CANCELLED, cancellation_reason__in=HOLD_REASONS
        )
        .select_related("service_type", "plan_session")
        .order_by("starts_at", "pk")
    )


def _appointment(a: Appointment) -> AppointmentData:
    session = a.plan_session
    return AppointmentData(
        id=a.pk,
        status=a.status,
        service=Coded(a.service_type.kind, a.service_type.name),
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        created_at=a.created_at,
        practitioner_id=a.practitioner_id,
        site_id=a.location_id,
        room_id=a.room_id,
        window=SessionWindow(
            plan_id=session.plan_id,
            number=session.number,
            earliest_on=session.earliest_on,
            latest_on=session.latest_on,
        )
        if session is not None
        else None,
        cancellation_reason=a.cancellation_reason,
    )


def _completed_charts(patient: Patient) -> list[SessionChart]:
    return list(
        SessionChart.objects.filter(
            patient=patient, clinic=patient.clinic, status=ChartStatus.COMPLETED
        )
        .select_related("appointment")
        .prefetch_related("areas__device")
        .order_by("performed_on", "completed_at", "pk")
    )


def _procedure(chart: SessionChart) -> ProcedureData:
    assert chart.performed_on is not None  # noqa: S101 - database constraint
    return ProcedureData(
        id=chart.pk,
        appointment_id=chart.appointment_id,
        plan_id=chart.plan_id,
        performed_on=chart.performed_on,
        practitioner_id=chart.charted_by_id,
        site_id=chart.appointment.location_id,
        areas=tuple(
            TreatedAreaData(
                id=area.pk,
                area=_area(area.area),
                depth_mm=area.depth_mm,
                passes=area.passes,
                device_name=area.device.name,
                cartridge_lot=area.cartridge_lot,
            )
            for area in chart.areas.all()
        ),
        reaction=Coded(chart.reaction, str(chart.get_reaction_display())),
        anaesthetic=Coded(chart.anaesthetic, str(chart.get_anaesthetic_display()))
        if chart.anaesthetic
        else None,
        endpoint=Coded(chart.endpoint, str(chart.get_endpoint_display()))
        if chart.endpoint
        else None,
        adjuncts=chart.adjuncts,
        notes=chart.notes,
    )


def _care_plan(
    plan: Plan, appointments: list[Appointment], charts: list[SessionChart]
) -> CarePlanData:
    active = {
        a.plan_session_id: a.status
        for a in appointments
        if a.plan_session_id is not None and a.status != AppointmentStatus.CANCELLED
    }
    done = {
        c.appointment.plan_session_id: c.pk
        for c in charts
        if c.appointment.plan_session_id is not None
    }
    held = active_holds(plan)
    return CarePlanData(
        id=plan.pk,
        version=plan.version,
        created_at=plan.created_at,
        approved_at=plan.approved_at,
        approved_by_id=plan.approved_by_id,
        interval_min_days=plan.interval_min_days,
        interval_target_days=plan.interval_target_days,
        interval_max_days=plan.interval_max_days,
        sessions=tuple(
            PlannedSessionData(
                number=s.number,
                earliest_on=s.earliest_on,
                target_on=s.target_on,
                latest_on=s.latest_on,
                appointment_status=active.get(s.pk),
                held=s.pk in held,
                procedure_id=done.get(s.pk),
            )
            for s in plan.sessions.order_by("number")
        ),
    )


def _score(score: Score) -> ScoreData:
    values: dict[str, Any] = dict(score.items or {})
    try:
        scale = get_scale(score.scale)
        ordered = [i.item_id for i in scale.items if i.item_id in values]
        labels = {i.item_id: i.label for i in scale.items}
    except ScaleError:
        ordered, labels = [], {}
    ordered += sorted(k for k in values if k not in ordered)
    return ScoreData(
        id=score.pk,
        scale=Coded(score.scale, scale_label(score.scale)),
        scale_version=score.scale_version,
        area=_area(score.area),
        total=score.total,
        items=tuple(
            ScoreItemData(item_id=k, label=labels.get(k, k), value=int(values[k]))
            for k in ordered
        ),
        scored_on=score.scored_on,
        recorded_at=score.created_at,
        occasion=score.occasion,
        scored_by_id=score.scored_by_id,
        plan_id=score.plan_id,
    )


def _photo(photo: Photo) -> PhotoData:
    return PhotoData(
        id=str(photo.pk),
        area=_area(photo.area),
        view=Coded(photo.view, str(photo.get_view_display())),
        taken_on=photo.taken_on,
        uploaded_at=photo.uploaded_at,
        uploaded_by_id=photo.uploaded_by_id,
        width_px=photo.width_px,
        height_px=photo.height_px,
        size_bytes=photo.size_bytes,
        url=settings.SKINTERVAL_BASE_URL
        + reverse("photos:image", kwargs={"photo_id": photo.pk}),
        consent_id=photo.consent_id,
    )


def _consent(consent: Consent, photos: list[Photo]) -> ConsentData:
    scope = (
        Coded(consent.photo_scope, str(PhotoScope(consent.photo_scope).label))
        if consent.photo_scope
        else None
    )
    return ConsentData(
        id=consent.pk,
        kind=Coded(consent.kind, str(consent.get_kind_display())),
        status=consent.status,
        text_version=consent.text_version,
        signed_at=consent.signed_at,
        ended_at=consent.ended_at,
        photo_scope=scope,
        photo_ids=tuple(str(p.pk) for p in photos if p.consent_id == consent.pk),
    )
