"""JSON API: the caller's clinic, its locations, and its practitioners.

Every operation is for the clinic's staff (any role); the clinic is always the
caller's own, so no clinic id is ever taken from the request.
"""

from datetime import date

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from skinterval.api_common import LocalTime, Pagination, PathId, errors, staff
from skinterval.clinics.models import Clinic, Location, StaffMember
from skinterval.clinics.queries import locations_for_clinic, practitioners_for_clinic

router = Router(tags=["clinic"])
practitioners_router = Router(tags=["practitioners"])


class ClinicOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    country: str
    closed_on_public_holidays: bool

    @staticmethod
    def resolve_country(obj: Clinic) -> str:
        return str(obj.country)


class RoomOut(Schema):
    id: int
    name: str


class DeviceOut(Schema):
    id: int
    name: str
    model_name: str
    max_depth_mm: float


class LocationOut(Schema):
    id: int
    name: str
    address: str
    rooms: list[RoomOut]
    devices: list[DeviceOut]


class QualificationOut(Schema):
    kind: str
    valid_until_on: date | None


class WorkingIntervalOut(Schema):
    location_id: int
    weekday: int
    start_time: LocalTime
    end_time: LocalTime
    effective_from_on: date
    effective_until_on: date | None


class PractitionerOut(Schema):
    id: int
    display_name: str
    role: str
    qualifications: list[QualificationOut]
    working_intervals: list[WorkingIntervalOut]


@router.get("", response={200: ClinicOut, **errors(401, 403)}, summary="Your clinic")
def get_clinic(request: HttpRequest) -> Clinic:
    return staff(request).clinic


@router.get(
    "/locations",
    response={200: list[LocationOut], **errors(401, 403, 422)},
    summary="Your clinic's locations, with rooms and devices in use",
)
@paginate(Pagination)
def list_locations(request: HttpRequest) -> QuerySet[Location]:
    return locations_for_clinic(staff(request).clinic).order_by("name", "pk")


@practitioners_router.get(
    "",
    response={200: list[PractitionerOut], **errors(401, 403, 422)},
    summary="Your clinic's active practitioners",
)
@paginate(Pagination)
def list_practitioners(request: HttpRequest) -> QuerySet[StaffMember]:
    return practitioners_for_clinic(staff(request).clinic).order_by(
        "display_name", "pk"
    )


@practitioners_router.get(
    "/{practitioner_id}",
    response={200: PractitionerOut, **errors(401, 403, 404, 422)},
    summary="One practitioner of your clinic",
)
def get_practitioner(request: HttpRequest, practitioner_id: PathId) -> StaffMember:
    clinic = staff(request).clinic
    member = practitioners_for_clinic(clinic).filter(pk=practitioner_id).first()
    if member is None:
        raise Http404(_("No such practitioner."))
    return member
