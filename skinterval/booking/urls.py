from django.urls import path

from skinterval.booking import views, waitlist_views

# Mounted at /book/ (public: no login).
app_name = "booking"
urlpatterns = [
    path("<slug:clinic_slug>/", views.start, name="start"),
    path("<slug:clinic_slug>/details/", views.details, name="details"),
    path("<slug:clinic_slug>/questions/", views.questions, name="questions"),
    path("<slug:clinic_slug>/done/", views.done, name="done"),
]

# Mounted at /intake/ (staff), in its own namespace.
intake_patterns = (
    [path("<int:intake_id>/", views.intake_detail, name="detail")],
    "intake",
)

# Mounted at /waitlist/, in its own namespace.
waitlist_patterns = (
    [
        path("offer/<str:token>/", waitlist_views.offer, name="offer"),
        path(
            "ask/<int:appointment_id>/",
            waitlist_views.portal_request,
            name="request",
        ),
        path(
            "stop/<int:request_id>/",
            waitlist_views.portal_withdraw,
            name="withdraw",
        ),
        path("accept/<int:offer_id>/", waitlist_views.portal_accept, name="accept"),
        path(
            "staff/<int:appointment_id>/",
            waitlist_views.staff_request,
            name="staff_request",
        ),
    ],
    "waitlist",
)
