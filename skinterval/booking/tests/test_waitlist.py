"""The window-aware waitlist: a freed time goes to patients whose session window
covers it and who asked for an earlier time, best fit first; the first to accept
gets it through the booking path; offers expire; nobody sees anybody else's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments import waitlist
from skinterval.appointments.models import (
    AppointmentStatus,
    OfferStatus,
    ServiceKind,
    ServiceType,
    WaitlistOffer,
    WaitlistRequest,
    WaitlistStatus,
)
from skinterval.appointments.services import cancel_appointment, release_expired_holds
from skinterval.appointments.waitlist import (
    WaitlistError,
    accept_offer,
    candidates,
    decline_offer,
    expire_offers,
    offer_from_token,
    offer_token,
    request_earlier_time,
)
from skinterval.clinics.models import QualificationKind
from skinterval.reminders import delivery
from skinterval.reminders.delivery import send_due
from skinterval.reminders.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def _at(day: int, hour: int) -> datetime:
    return datetime(2027, 1, day, hour, 0, tzinfo=UTC)  # London = UTC in January


@pytest.fixture
def series(bookable):
    """Micro-needling for three patients of clinic A:

    - Pat (world patient): session 1 window 5-15 Jan, target 12 Jan, booked 14 Jan;
    - Olga (other patient): session 1 window 7-20 Jan, target 7 Jan, booked 19 Jan;
    - Fred: booked on Tuesday 5 Jan at 10:00 and on Friday 8 Jan at 10:00 (his
      cancellations free those times).
    Pat and Olga asked for an earlier time."""
    w = bookable
    w.patient.email = "pat@example.com"
    w.patient.save()
    w.other_patient.email = "olga@example.com"
    w.other_patient.save()
    w.mn = ServiceType.objects.create(
        clinic=w.clinic,
        kind=ServiceKind.MICRONEEDLING,
        name="Micro-needling",
        duration_min=60,
        needs_device=True,
        required_qualification=QualificationKind.MICRONEEDLING,
    )

    def planned(patient, window, target, day):
        plan = t.make_plan(patient, w.practitioner, approve=True)
        session = plan.sessions.get(number=1)
        session.earliest_on, session.target_on, session.latest_on = (
            date(2027, 1, window[0]),
            date(2027, 1, target),
            date(2027, 1, window[1]),
        )
        session.save()
        return _appointment(w, patient, _at(day, 10), plan_session=session)

    w.pat_appt = planned(w.patient, (5, 15), 12, 14)
    w.olga_appt = planned(w.other_patient, (7, 20), 7, 19)
    w.fred = t.make_patient(w.clinic, given_name="Fred", email="fred@example.com")
    w.fred_tue = _appointment(w, w.fred, _at(5, 10))
    w.fred_fri = _appointment(w, w.fred, _at(8, 10))
    w.pat_request = request_earlier_time(appointment=w.pat_appt, now=NOW)
    w.olga_request = request_earlier_time(appointment=w.olga_appt, now=NOW)
    return w


def _appointment(w, patient, starts, **fields):
    return t.make_appointment(
        w,
        patient=patient,
        service_type=w.mn,
        device=w.device,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=60),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=60),
        **fields,
    )


def _cancel(appointment, capture):
    with capture(execute=True):
        cancel_appointment(appointment=appointment, reason="patient ill", now=NOW)


def _offers(request):
    return list(WaitlistOffer.objects.filter(request=request))


def test_a_cancelled_time_goes_only_to_windows_that_cover_it(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)  # Tue 5 Jan
    (offer,) = _offers(series.pat_request)
    assert offer.starts_at == _at(5, 10)
    assert offer.practitioner == series.practitioner
    assert offer.device == series.device
    assert offer.expires_at == NOW + waitlist.OFFER_TTL
    assert _offers(series.olga_request) == []  # her window opens on 7 Jan
    assert _deliver(NOW).sent == 1
    (email,) = mail.outbox
    assert email.to == ["pat@example.com"]
    assert email.subject == "An earlier appointment time at Clinic A"
    assert offer_token(offer) in email.body
    assert "Tuesday 5 January 2027 at 10:00" in email.body  # the earlier time
    assert "Thursday 14 January 2027 at 10:00" in email.body  # hers now
    assert "needl" not in email.body.lower()


def test_a_mail_server_down_delays_the_offer_and_loses_nothing(
    series, django_capture_on_commit_callbacks, monkeypatch
):
    class Down:
        def send_messages(self, messages):
            raise ConnectionRefusedError("smtp down")

        def close(self):
            pass

    monkeypatch.setattr(delivery, "get_connection", lambda **kw: Down())
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)  # no error here
    (offer,) = _offers(series.pat_request)
    assert _deliver(NOW).failed == 1
    (row,) = OutboxMessage.objects.filter(waitlist_offer=offer)
    assert row.status == OutboxStatus.PENDING  # to be tried again
    monkeypatch.undo()  # the mail server is back
    assert _deliver(row.send_at).sent == 1
    assert offer_token(offer) in mail.outbox[0].body


def test_an_offer_closed_before_its_message_goes_out_is_not_sent(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    olga_offer = WaitlistOffer.objects.get(request=series.olga_request)
    pat_offer = WaitlistOffer.objects.get(request=series.pat_request)
    accept_offer(offer=olga_offer, now=NOW)  # before the worker ran
    outcome = _deliver(NOW + timedelta(minutes=1))
    # sent: Olga's move confirmed; skipped: both offers (accepted, taken)
    assert (outcome.sent, outcome.skipped) == (1, 2)
    for offer in (olga_offer, pat_offer):
        row = OutboxMessage.objects.get(waitlist_offer=offer)
        assert (row.status, row.note) == (
            OutboxStatus.SKIPPED,
            "stale: the offer is no longer open",
        )
    (email,) = mail.outbox
    assert email.to == ["olga@example.com"]
    assert "Friday 8 January 2027 at 10:00" in email.body  # her new time


def test_taking_one_time_closes_the_patients_other_offers(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)  # Pat only
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)  # Olga and Pat
    pat_tue, pat_fri = (
        WaitlistOffer.objects.get(request=series.pat_request, starts_at=_at(d, 10))
        for d in (5, 8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept_offer(offer=pat_tue, now=NOW)
    pat_fri.refresh_from_db()
    assert pat_fri.status == OfferStatus.DECLINED  # no longer holds Friday
    _deliver(NOW + timedelta(minutes=1))
    row = OutboxMessage.objects.get(waitlist_offer=pat_fri)
    assert (row.status, row.note) == (
        OutboxStatus.SKIPPED,
        "stale: the offer is no longer open",
    )
    olga_fri = WaitlistOffer.objects.get(request=series.olga_request)
    assert olga_fri.status == OfferStatus.OPEN


def test_a_cancelled_booking_withdraws_its_request_and_passes_its_offer_on(
    series, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(waitlist, "OFFERS_AT_ONCE", 1)
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    (first,) = WaitlistOffer.objects.all()
    assert first.request == series.olga_request
    _cancel(series.olga_appt, django_capture_on_commit_callbacks)  # Olga cancels
    first.refresh_from_db()
    series.olga_request.refresh_from_db()
    assert first.status == OfferStatus.DECLINED
    assert series.olga_request.status == WaitlistStatus.WITHDRAWN
    (second,) = WaitlistOffer.objects.filter(status=OfferStatus.OPEN)
    assert second.request == series.pat_request  # Friday goes to Pat now
    _deliver(NOW + timedelta(minutes=1))
    assert [m.to for m in mail.outbox if "earlier" in m.subject] == [
        ["pat@example.com"]
    ]


def test_an_offer_message_for_an_appointment_moved_meanwhile_is_not_sent(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)
    (offer,) = _offers(series.pat_request)
    series.pat_appt.sequence += 1  # the front desk moved it before the worker ran
    series.pat_appt.save()
    _deliver(NOW)
    row = OutboxMessage.objects.get(waitlist_offer=offer)
    assert (row.status, row.note) == (
        OutboxStatus.SKIPPED,
        "stale: the appointment moved",
    )


def test_a_patient_no_message_can_reach_is_passed_over(
    series, django_capture_on_commit_callbacks
):
    series.other_patient.email = ""  # Olga, first in line for Friday
    series.other_patient.save()
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    (offer,) = WaitlistOffer.objects.all()
    assert offer.request == series.pat_request


def _deliver(at):
    return send_due(clock=lambda: at, worker_id="test")


def test_the_closest_to_the_target_date_comes_first(series):
    series.fred_fri.status = AppointmentStatus.CANCELLED
    series.fred_fri.save()
    ranked = candidates(series.fred_fri, now=NOW)
    # Fri 8 Jan: Olga's target is 7 Jan (1 day), Pat's 12 Jan (4 days).
    assert ranked == [series.olga_request, series.pat_request]


def test_one_offer_at_a_time_passes_down_the_line_on_decline_and_expiry(
    series, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(waitlist, "OFFERS_AT_ONCE", 1)
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    (first,) = WaitlistOffer.objects.all()
    assert first.request == series.olga_request
    decline_offer(offer=first, now=NOW)
    second = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert second.request == series.pat_request
    # Pat lets it lapse: nobody is left in line, nothing new is offered.
    assert expire_offers(now=NOW + timedelta(hours=3)) == 1
    second.refresh_from_db()
    assert second.status == OfferStatus.EXPIRED
    assert not WaitlistOffer.objects.filter(status=OfferStatus.OPEN).exists()
    with pytest.raises(WaitlistError, match="closed"):
        accept_offer(offer=second, now=NOW + timedelta(hours=3))


def test_the_first_to_accept_gets_the_time_through_the_booking_path(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    olga_offer, pat_offer = (
        WaitlistOffer.objects.get(request=series.olga_request),
        WaitlistOffer.objects.get(request=series.pat_request),
    )
    moved = accept_offer(offer=pat_offer, now=NOW + timedelta(minutes=5))
    assert moved.pk == series.pat_appt.pk
    assert moved.starts_at == _at(8, 10)
    assert moved.sequence == 1
    series.pat_request.refresh_from_db()
    assert series.pat_request.status == WaitlistStatus.FULFILLED
    olga_offer.refresh_from_db()
    assert olga_offer.status == OfferStatus.TAKEN
    with pytest.raises(WaitlistError):
        accept_offer(offer=olga_offer, now=NOW + timedelta(minutes=6))
    series.olga_appt.refresh_from_db()
    assert series.olga_appt.starts_at == _at(19, 10)


def test_a_time_booked_by_someone_else_meanwhile_is_lost_not_an_error(
    series, django_capture_on_commit_callbacks
):
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)
    (offer,) = _offers(series.pat_request)
    _appointment(series, series.fred, _at(5, 10))  # the front desk rebooks Fred
    with pytest.raises(WaitlistError, match="taken"):
        accept_offer(offer=offer, now=NOW)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN
    series.pat_appt.refresh_from_db()
    assert series.pat_appt.starts_at == _at(14, 10)
    series.pat_request.refresh_from_db()
    assert series.pat_request.status == WaitlistStatus.OPEN


def test_an_expired_hold_frees_its_time_for_the_waitlist(
    series, django_capture_on_commit_callbacks
):
    series.fred_tue.status = AppointmentStatus.HELD
    series.fred_tue.hold_expires_at = NOW + timedelta(minutes=5)
    series.fred_tue.save()
    with django_capture_on_commit_callbacks(execute=True):
        release_expired_holds(now=NOW + timedelta(minutes=10))
    assert [o.starts_at for o in _offers(series.pat_request)] == [_at(5, 10)]


def test_a_time_too_near_or_in_nobodys_window_is_not_offered(
    series, django_capture_on_commit_callbacks
):
    soon = _appointment(series, series.fred, NOW + timedelta(hours=1))
    _cancel(soon, django_capture_on_commit_callbacks)
    late = _appointment(series, series.fred, _at(21, 10))  # after every window
    _cancel(late, django_capture_on_commit_callbacks)
    assert not WaitlistOffer.objects.exists()


def test_the_email_link_accepts_without_a_login(
    series, django_capture_on_commit_callbacks, client
):
    _cancel(series.fred_tue, django_capture_on_commit_callbacks)
    (offer,) = _offers(series.pat_request)
    url = reverse("waitlist:offer", args=[offer_token(offer)])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Tuesday 5 January 2027, 10:00" in body
    assert series.patient.given_name not in body
    assert series.patient.family_name not in body
    assert series.pat_appt.status == AppointmentStatus.BOOKED
    response = client.post(url, {"accept": "1"})
    assert "your appointment is now on Tuesday 5 January 2027, 10:00" in (
        response.content.decode()
    )
    series.pat_appt.refresh_from_db()
    assert series.pat_appt.starts_at == _at(5, 10)
    again = client.post(url, {"accept": "1"})
    assert again.status_code == 409
    assert "This offer is no longer open." in again.content.decode()


def test_a_tampered_link_is_404(series, django_capture_on_commit_callbacks, client):
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)  # two offers
    pat_offer = WaitlistOffer.objects.get(request=series.pat_request)
    olga_offer = WaitlistOffer.objects.get(request=series.olga_request)
    token = offer_token(pat_offer)
    assert offer_from_token(token) == pat_offer
    # Olga's offer id in the payload, under the signature of Pat's link
    _, signed = token.split(":", 1)
    payload = signing.b64_encode(str(olga_offer.pk).encode()).decode()
    forged = f"{payload}:{signed}"
    assert client.get(reverse("waitlist:offer", args=[forged])).status_code == 404
    assert client.get(reverse("waitlist:offer", args=["x" * 20])).status_code == 404
    url = reverse("waitlist:offer", args=[token])
    assert client.get(url).status_code == 200


def test_patients_ask_and_accept_in_the_portal_and_only_for_themselves(
    series, django_capture_on_commit_callbacks, pat, as_user
):
    portal = as_user(pat)
    series.pat_request.status = WaitlistStatus.WITHDRAWN
    series.pat_request.save()
    home = portal.get(reverse("portal:home")).content.decode()
    assert "Ask for an earlier time" in home
    portal.post(reverse("waitlist:request", args=[series.pat_appt.pk]))
    mine = WaitlistRequest.objects.get(
        appointment=series.pat_appt, status=WaitlistStatus.OPEN
    )
    # Olga's appointment and request are not Pat's to touch.
    assert (
        portal.post(reverse("waitlist:request", args=[series.olga_appt.pk])).status_code
        == 404
    )
    assert (
        portal.post(
            reverse("waitlist:withdraw", args=[series.olga_request.pk])
        ).status_code
        == 404
    )
    _cancel(series.fred_fri, django_capture_on_commit_callbacks)
    olga_offer = WaitlistOffer.objects.get(request=series.olga_request)
    assert (
        portal.post(reverse("waitlist:accept", args=[olga_offer.pk])).status_code == 404
    )
    home = portal.get(reverse("portal:home")).content.decode()
    assert "An earlier time is free: Friday 8 January 2027, 10:00" in home
    assert "Olga" not in home
    pat_offer = WaitlistOffer.objects.get(request=mine)
    portal.post(reverse("waitlist:accept", args=[pat_offer.pk]))
    series.pat_appt.refresh_from_db()
    assert series.pat_appt.starts_at == _at(8, 10)


def test_front_desk_adds_a_request_for_its_own_clinic_only(series, world_b, as_user):
    series.pat_request.status = WaitlistStatus.WITHDRAWN
    series.pat_request.save()
    url = reverse("waitlist:staff_request", args=[series.pat_appt.pk])
    charlie = as_user(world_b.practitioner.user)
    assert charlie.post(url).status_code == 404
    bob = as_user(series.front_desk.user)
    detail = reverse("appointments:detail", args=[series.pat_appt.pk])
    assert "Add to the waitlist" in bob.get(detail).content.decode()
    assert bob.post(url).status_code == 302
    assert "On the waitlist since" in bob.get(detail).content.decode()
    request = WaitlistRequest.objects.get(
        appointment=series.pat_appt, status=WaitlistStatus.OPEN
    )
    assert request.created_by == series.front_desk


def test_only_booked_appointments_to_come_can_wait(series):
    cancel_appointment(appointment=series.fred_tue, reason="x", now=NOW)
    series.fred_tue.refresh_from_db()
    with pytest.raises(WaitlistError):
        request_earlier_time(appointment=series.fred_tue, now=NOW)
    assert request_earlier_time(appointment=series.pat_appt, now=NOW) == (
        series.pat_request
    )


def test_the_expiry_command_closes_lapsed_offers(
    series, django_capture_on_commit_callbacks, clock
):
    from io import StringIO

    from django.core.management import call_command

    _cancel(series.fred_tue, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("expire_waitlist_offers", stdout=out)
    assert out.getvalue().strip() == "0 offer(s) expired."
    clock.shift(waitlist.OFFER_TTL)
    out = StringIO()
    call_command("expire_waitlist_offers", stdout=out)
    assert out.getvalue().strip() == "1 offer(s) expired."
    assert WaitlistOffer.objects.get().status == OfferStatus.EXPIRED
