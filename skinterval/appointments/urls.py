from django.urls import path

from skinterval.appointments import views

app_name = "appointments"
urlpatterns = [
    path("plan/<int:plan_id>/", views.book_series, name="book_series"),
    path("appointment/<int:appointment_id>/", views.appointment_detail, name="detail"),
]

# Mounted at /calendar/ by config/urls.py, in its own namespace.
calendar_patterns = (
    [
        path("", views.calendar_page, name="page"),
        path("events/", views.calendar_events, name="events"),
    ],
    "calendar",
)
