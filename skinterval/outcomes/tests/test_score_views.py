"""Score pages: a practitioner scores a visit or a baseline, the patient rates
their own scars, the charts show on the patient chart and in the portal, and
nobody sees another clinic's or another patient's scores."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skinterval import testing as t
from skinterval.domain.scales import get_scale
from skinterval.outcomes.forms import ITEM_PREFIX
from skinterval.outcomes.models import Score, ScoreOccasion
from skinterval.outcomes.services import record_score
from skinterval.outcomes.tests.scoring import (
    LATER,
    SESSION_1_AT,
    SESSION_2_AT,
    review_visit,
    session,
)


@pytest.fixture(autouse=True)
def _frozen():
    cache.clear()
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def plan(world_a):
    return t.make_plan(world_a.patient, world_a.practitioner, approve=True)


@pytest.fixture
def session_1(world_a, plan):
    return session(world_a, plan, 1, SESSION_1_AT)


def gb_form(**items):
    """A Goodman & Baron quantitative form: every item 0 unless given."""
    data = {
        ITEM_PREFIX + item.item_id: "0" for item in get_scale("gb_quantitative").items
    }
    data.update({ITEM_PREFIX + key: str(value) for key, value in items.items()})
    return {"scale": "gb_quantitative", "area": "cheeks", **data}


def field_block(html: str, name: str) -> str:
    """The `<div class="field">` holding the input `name`."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, re.DOTALL):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name}")


# --------------------------------------------------------------------------- staff


def test_a_practitioner_scores_a_session_from_its_appointment(
    world_a, alice, as_user, plan, session_1
):
    session_2 = session(world_a, plan, 2, SESSION_2_AT)
    client = as_user(alice)
    detail = client.get(reverse("appointments:detail", args=[session_2.pk]))
    url = reverse("outcomes:record_at_visit", args=[session_2.pk])
    assert url in detail.content.decode()

    page = client.get(url, {"scale": "gb_quantitative"}).content.decode()
    for item in get_scale("gb_quantitative").items:
        assert f'name="{ITEM_PREFIX}{item.item_id}"' in page
    assert "Counts 6 times in the total." in page  # the keloid area band

    response = client.post(url, gb_form(flat_marks=2, moderate_atrophic=3))
    assert response.status_code == 302
    recorded = Score.objects.get()
    assert recorded.total == 8  # 2 x1 + 3 x2, computed, not typed
    assert recorded.scored_by == world_a.practitioner
    assert recorded.occasion == ScoreOccasion.SESSION
    assert recorded.appointment == session_2
    after = client.get(response["Location"]).content.decode()
    assert "Cheeks scored on Goodman &amp; Baron quantitative." in after
    assert "Recorded at this visit" in after


def test_scores_at_the_first_session_are_the_baseline(alice, as_user, session_1):
    """Scores are taken before treating: at session 1 nothing has been treated."""
    url = reverse("outcomes:record_at_visit", args=[session_1.pk])
    page = as_user(alice).get(url, {"scale": "gb_qualitative"}).content.decode()
    assert "<dt>Occasion</dt><dd>Baseline</dd>" in page
    as_user(alice).post(
        url, {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "3"}
    )
    recorded = Score.objects.get()
    assert recorded.occasion == ScoreOccasion.BASELINE
    assert recorded.appointment == session_1


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_lost(
    alice, as_user, session_1
):
    url = reverse("outcomes:record_at_visit", args=[session_1.pk])
    data = gb_form(flat_marks=2, papular=7)  # papular runs 0-3
    data[ITEM_PREFIX + "linear_trough"] = ""  # and one left empty
    response = as_user(alice).post(url, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error"' in field_block(html, ITEM_PREFIX + "papular")
    assert 'class="error"' in field_block(html, ITEM_PREFIX + "linear_trough")
    assert 'class="error"' not in field_block(html, ITEM_PREFIX + "flat_marks")
    # What was typed is still there.
    flat = field_block(html, ITEM_PREFIX + "flat_marks")
    assert re.search(r'<option value="2"[^>]*selected', flat)
    assert re.search(r'<option value="cheeks"[^>]*selected', field_block(html, "area"))
    assert not Score.objects.exists()


def test_a_second_score_of_the_same_area_at_the_visit_is_refused_in_words(
    alice, as_user, session_1
):
    url = reverse("outcomes:record_at_visit", args=[session_1.pk])
    client = as_user(alice)
    client.post(url, gb_form(flat_marks=1))
    again = client.post(url, gb_form(flat_marks=2))
    assert again.status_code == 422
    assert "already been scored on this scale for this visit" in (
        again.content.decode()
    )
    assert Score.objects.count() == 1


def test_a_visit_not_yet_attended_offers_no_form(alice, as_user, world_a, plan):
    booked = session(world_a, plan, 1, SESSION_1_AT, status="booked")
    url = reverse("outcomes:record_at_visit", args=[booked.pk])
    page = as_user(alice).get(url, {"scale": "gb_qualitative"}).content.decode()
    assert "once the patient has arrived" in page
    assert f'name="{ITEM_PREFIX}grade"' not in page
    assert (
        as_user(alice)
        .post(
            url,
            {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "2"},
        )
        .status_code
        == 200
    )
    assert not Score.objects.exists()


def test_a_review_visit_is_scored_as_a_review(alice, as_user, world_a, plan):
    review = review_visit(world_a)
    url = reverse("outcomes:record_at_visit", args=[review.pk])
    as_user(alice).post(
        url, {"scale": "gais", "area": "cheeks", ITEM_PREFIX + "improvement": "2"}
    )
    assert Score.objects.get().occasion == ScoreOccasion.REVIEW


def test_a_baseline_is_scored_from_the_patient_chart(alice, as_user, world_a, plan):
    chart = as_user(alice).get(reverse("patients:detail", args=[world_a.patient.pk]))
    url = reverse("outcomes:record_baseline", args=[world_a.patient.pk])
    assert url in chart.content.decode()
    page = as_user(alice).get(url, {"scale": "gb_qualitative"}).content.decode()
    # The areas offered are the plan's (SIMPLE_ASSESSMENT treats the cheeks).
    assert '<option value="cheeks"' in page
    assert '<option value="back"' not in page
    as_user(alice).post(
        url, {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "3"}
    )
    recorded = Score.objects.get()
    assert recorded.occasion == ScoreOccasion.BASELINE
    assert recorded.appointment is None
    assert recorded.scored_on == LATER.date()


def test_front_desk_read_scores_but_do_not_record_them(
    bob, as_user, world_a, session_1
):
    record(world_a, session_1, 3)
    client = as_user(bob)
    page = client.get(reverse("outcomes:patient_scores", args=[world_a.patient.pk]))
    assert page.status_code == 200
    assert "Goodman &amp; Baron qualitative" in page.content.decode()
    assert "Record baseline scores" not in page.content.decode()
    detail = client.get(reverse("appointments:detail", args=[session_1.pk]))
    assert "Record scores for this visit" not in detail.content.decode()
    posted = client.post(
        reverse("outcomes:record_at_visit", args=[session_1.pk]),
        {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "2"},
    )
    assert posted.status_code == 403
    assert Score.objects.count() == 1


def test_another_clinic_cannot_record_or_read(charlie, as_user, world_a, session_1):
    client = as_user(charlie)
    data = {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "2"}
    for url in (
        reverse("outcomes:record_at_visit", args=[session_1.pk]),
        reverse("outcomes:record_baseline", args=[world_a.patient.pk]),
    ):
        assert client.post(url, data).status_code == 404
    assert not Score.objects.exists()


def record(world, appointment, grade, **kwargs):
    values = {
        "patient": world.patient,
        "area": "cheeks",
        "scale": "gb_qualitative",
        "items": {"grade": grade},
        "occasion": ScoreOccasion.SESSION if appointment else ScoreOccasion.BASELINE,
        "appointment": appointment,
        "scored_by": world.practitioner,
        "now": LATER,
    }
    values.update(kwargs)
    return record_score(**values)


# --------------------------------------------------------------------------- chart


def test_the_patient_chart_shows_the_progress_and_the_timeline_entry(
    alice, as_user, world_a, plan, session_1
):
    record(world_a, None, 4, now=SESSION_1_AT - timedelta(days=7))
    record(world_a, session_1, 3)
    html = (
        as_user(alice)
        .get(reverse("patients:detail", args=[world_a.patient.pk]))
        .content.decode()
    )
    section = html.split('id="scores-h"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="score-point"') == 2
    assert section.count('class="visit-mark"') == 1
    assert 'role="img"' in section
    assert "Scores recorded: Session 1" in html  # the timeline
    assert "Cheeks, Goodman &amp; Baron qualitative: 3" in html


def _chart_queries(client, patient) -> int:
    url = reverse("patients:detail", args=[patient.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_chart_page_runs_the_same_queries_whatever_the_scores(
    alice, as_user, world_a, plan, session_1
):
    client = as_user(alice)
    record(world_a, session_1, 3)
    few = _chart_queries(client, world_a.patient)

    second = session(world_a, plan, 2, SESSION_2_AT)
    third = session(world_a, plan, 3, SESSION_2_AT + timedelta(days=28))
    review = review_visit(world_a, SESSION_2_AT + timedelta(days=60))
    for appointment, occasion in (
        (second, ScoreOccasion.SESSION),
        (third, ScoreOccasion.SESSION),
        (review, ScoreOccasion.REVIEW),
    ):
        for area in ("cheeks", "forehead"):
            record(world_a, appointment, 2, area=area, occasion=occasion)
        record(
            world_a,
            appointment,
            1,
            scale="gais",
            items={"improvement": 2},
            occasion=occasion,
        )
        record(
            world_a,
            appointment,
            1,
            scale="patient_global_0_10",
            items={"rating": 7},
            occasion=occasion,
            scored_by=None,
        )
    many = _chart_queries(client, world_a.patient)
    # A few more come from the rest of the page (appointments listed, their
    # timeline entries share one query), never one per score or per chart.
    assert many == few


# --------------------------------------------------------------------------- portal


def test_pat_rates_her_scars_and_sees_them_drawn(pat, as_user, world_a, session_1):
    client = as_user(pat)
    home = client.get(reverse("portal:home")).content.decode()
    url = reverse("portal:rate_scars")
    assert url in home
    page = client.get(url).content.decode()
    assert "since your session 1" in page
    assert "Goodman" not in page  # only the patient-reported scales

    response = client.post(
        url,
        {
            "scale": "patient_global_0_10",
            "patient_global_0_10-area": "cheeks",
            f"patient_global_0_10-{ITEM_PREFIX}rating": "6",
        },
    )
    assert response.status_code == 302
    recorded = Score.objects.get()
    assert recorded.scored_by is None
    assert recorded.appointment == session_1
    assert recorded.occasion == ScoreOccasion.SESSION  # sent after session 1
    assert recorded.total == 6

    progress = client.get(reverse("portal:progress")).content.decode()
    assert progress.count('class="score-point"') == 1
    assert "Patient global rating 0-10" in progress
    assert "<td>You</td>" in progress


def test_pats_bad_answer_is_shown_next_to_it_and_kept(pat, as_user, session_1):
    items = {
        f"posas2_patient-{ITEM_PREFIX}{item.item_id}": "4"
        for item in get_scale("posas2_patient").items
    }
    items[f"posas2_patient-{ITEM_PREFIX}itch"] = "11"
    response = as_user(pat).post(
        reverse("portal:rate_scars"),
        {"scale": "posas2_patient", "posas2_patient-area": "cheeks", **items},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error"' in field_block(html, f"posas2_patient-{ITEM_PREFIX}itch")
    pain = field_block(html, f"posas2_patient-{ITEM_PREFIX}pain")
    assert re.search(r'<option value="4"[^>]*selected', pain)
    assert not Score.objects.exists()


def test_a_patient_cannot_post_a_practitioners_scale(pat, as_user, session_1):
    response = as_user(pat).post(
        reverse("portal:rate_scars"),
        {"scale": "gb_qualitative", "area": "cheeks", ITEM_PREFIX + "grade": "1"},
    )
    assert response.status_code == 200
    assert not Score.objects.exists()


def test_before_the_first_session_pat_reports_a_baseline(pat, as_user, world_a, plan):
    as_user(pat).post(
        reverse("portal:rate_scars"),
        {
            "scale": "patient_global_0_10",
            "patient_global_0_10-area": "cheeks",
            f"patient_global_0_10-{ITEM_PREFIX}rating": "3",
        },
    )
    recorded = Score.objects.get()
    assert recorded.occasion == ScoreOccasion.BASELINE
    assert recorded.appointment is None


def test_other_patients_never_see_pats_scores(world_a, pat, as_user, session_1):
    record(world_a, session_1, 3)
    pam = t.make_user("pam")
    world_a.other_patient.user = pam
    world_a.other_patient.save(update_fields=["user"])
    page = as_user(pam).get(reverse("portal:progress")).content.decode()
    assert 'class="score-point"' not in page
    assert "scores will appear here after your first scored visit" in page
    mine = as_user(pat).get(reverse("portal:progress")).content.decode()
    assert mine.count('class="score-point"') == 1
