from django.urls import path

from skinterval.appointments import calendar_views, optimizer_views, views

app_name = "appointments"
urlpatterns = [
    path("plan/<int:plan_id>/", views.book_series, name="book_series"),
    path("appointment/<int:appointment_id>/", views.appointment_detail, name="detail"),
]

# Mounted at /calendar/ by config/urls.py, in its own namespace.
calendar_patterns = (
    [
        path("", calendar_views.calendar_page, name="page"),
        path("events/", calendar_views.calendar_events, name="events"),
        path("move/", calendar_views.calendar_move, name="move"),
        path("optimize/", optimizer_views.optimizer_page, name="optimize"),
        path(
            "optimize/<int:run_id>/",
            optimizer_views.optimizer_run,
            name="optimizer_run",
        ),
        path(
            "optimize/<int:run_id>/book/",
            optimizer_views.optimizer_apply,
            name="optimizer_apply",
        ),
    ],
    "calendar",
)
