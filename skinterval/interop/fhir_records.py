"""What the FHIR mapper (`interop.fhir`) is given: one patient's record as plain,
frozen data. Pure Python: no Django, no database, no clock.

`interop.fhir_queries` builds these from the database rows (through the
permission-checked loaders); `interop.fhir` turns them into FHIR R4 resources.
Ids are the database ids; labels are the words staff see, already translated.
Every instant is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Coded:
    """A product code (`cheeks`, `rolling`, `front`) and its words."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class QualificationData:
    kind: Coded
    registration_number: str = ""
    valid_until_on: date | None = None


@dataclass(frozen=True, slots=True)
class PractitionerData:
    """A staff member (any role) whom the record names."""

    id: int
    name: str
    active: bool = True
    qualifications: tuple[QualificationData, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteData:
    id: int
    name: str
    address: str = ""


@dataclass(frozen=True, slots=True)
class RoomData:
    id: int
    name: str
    site_id: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class PatientData:
    id: str  # the patient's UUID
    clinic_slug: str
    clinic_name: str
    chart_number: str
    given_name: str
    family_name: str
    born_on: date
    email: str = ""
    phone: str = ""
    fitzpatrick: Coded | None = None  # code "1".."6"
    fitzpatrick_on: date | None = None  # when it was last assessed, if known


@dataclass(frozen=True, slots=True)
class ScarData:
    """One scar finding of an assessment (the assessment contract's `scars[]`)."""

    index: int  # position in the assessment, part of the stable id
    area: Coded
    kind: Coded
    grade: int | None = None
    count: int | None = None
    wound_closed_on: date | None = None


@dataclass(frozen=True, slots=True)
class AssessmentData:
    """The scar findings of the patient's latest assessment (its plan version)."""

    plan_id: int
    assessed_on: date
    recorded_by_id: int
    scars: tuple[ScarData, ...]


@dataclass(frozen=True, slots=True)
class PlannedSessionData:
    number: int
    earliest_on: date
    target_on: date
    latest_on: date
    appointment_status: str | None = None  # its active appointment, if booked
    held: bool = False  # held by a practitioner after a check-in
    procedure_id: int | None = None  # the completed chart of the session


@dataclass(frozen=True, slots=True)
class CarePlanData:
    """The approved series."""

    id: int
    version: int
    created_at: datetime
    approved_at: datetime | None
    approved_by_id: int | None
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int
    sessions: tuple[PlannedSessionData, ...]


@dataclass(frozen=True, slots=True)
class SessionWindow:
    plan_id: int
    number: int
    earliest_on: date
    latest_on: date


@dataclass(frozen=True, slots=True)
class AppointmentData:
    id: int
    status: str  # AppointmentStatus value
    service: Coded  # kind code, service name
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    practitioner_id: int
    site_id: int
    room_id: int | None = None
    window: SessionWindow | None = None
    cancellation_reason: str = ""


@dataclass(frozen=True, slots=True)
class TreatedAreaData:
    id: int
    area: Coded
    depth_mm: Decimal
    passes: int
    device_name: str
    cartridge_lot: str


@dataclass(frozen=True, slots=True)
class ProcedureData:
    """A completed session chart."""

    id: int
    appointment_id: int
    plan_id: int
    performed_on: date
    practitioner_id: int
    site_id: int
    areas: tuple[TreatedAreaData, ...]
    reaction: Coded
    anaesthetic: Coded | None = None
    endpoint: Coded | None = None
    adjuncts: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ScoreItemData:
    item_id: str
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class ScoreData:
    id: int
    scale: Coded
    scale_version: str
    area: Coded
    total: Decimal
    items: tuple[ScoreItemData, ...]
    scored_on: date
    recorded_at: datetime
    occasion: str  # baseline | session | review
    scored_by_id: int | None  # None: reported by the patient
    plan_id: int | None = None


@dataclass(frozen=True, slots=True)
class PhotoData:
    """A clinical photo: described and pointed to, never its bytes."""

    id: str  # the photo's UUID
    area: Coded
    view: Coded
    taken_on: date
    uploaded_at: datetime
    uploaded_by_id: int
    width_px: int
    height_px: int
    size_bytes: int
    url: str  # the permission-checked photo view
    consent_id: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True, slots=True)
class ConsentData:
    id: int
    kind: Coded  # microneedling | photos
    status: str  # ConsentStatus value
    text_version: str
    signed_at: datetime
    ended_at: datetime | None = None
    photo_scope: Coded | None = None
    photo_ids: tuple[str, ...] = ()  # photos in the record taken under it


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """Everything of one patient that the FHIR export holds. `practitioners`,
    `sites` and `rooms` are exactly the ones the rest refers to."""

    patient: PatientData
    practitioners: tuple[PractitionerData, ...] = ()
    sites: tuple[SiteData, ...] = ()
    rooms: tuple[RoomData, ...] = ()
    assessment: AssessmentData | None = None
    care_plan: CarePlanData | None = None
    appointments: tuple[AppointmentData, ...] = ()
    procedures: tuple[ProcedureData, ...] = ()
    scores: tuple[ScoreData, ...] = ()
    photos: tuple[PhotoData, ...] = ()
    consents: tuple[ConsentData, ...] = ()
