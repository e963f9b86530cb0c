from django.urls import path

from skinterval.outcomes import closure_views, score_views, views

app_name = "outcomes"
urlpatterns = [
    path("check-ins/<int:check_in_id>/", views.check_in_detail, name="check_in"),
    path("check-ins/<int:check_in_id>/review/", views.review, name="review"),
    path("check-ins/<int:check_in_id>/hold/", views.hold, name="hold"),
    path("holds/<int:hold_id>/release/", views.release, name="release"),
    path("account-closures/", closure_views.closure_list, name="closures"),
    path(
        "account-closures/<int:request_id>/",
        closure_views.closure_detail,
        name="closure",
    ),
    path(
        "patients/<uuid:patient_id>/scores/",
        score_views.patient_scores,
        name="patient_scores",
    ),
    path(
        "patients/<uuid:patient_id>/scores/baseline/",
        score_views.record_baseline,
        name="record_baseline",
    ),
    path(
        "appointments/<int:appointment_id>/scores/",
        score_views.record_at_visit,
        name="record_at_visit",
    ),
]
