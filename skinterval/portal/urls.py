from django.urls import path

from skinterval.portal import appointment_views, message_views, score_views, views

app_name = "portal"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("plan/", views.my_plan, name="plan"),
    path("appointments/", appointment_views.my_appointments, name="appointments"),
    path(
        "appointments/session/<int:number>/",
        appointment_views.book_session,
        name="book",
    ),
    path(
        "appointments/<int:appointment_id>/move/",
        appointment_views.move_appointment,
        name="move",
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        appointment_views.cancel_appointment,
        name="cancel",
    ),
    path("aftercare/", views.aftercare, name="aftercare"),
    path("check-ins/", views.check_ins, name="check_ins"),
    path("check-ins/<int:appointment_id>/", views.new_check_in, name="check_in"),
    path("progress/", views.progress, name="progress"),
    path("progress/rate/", score_views.rate_scars, name="rate_scars"),
    path("consent/", views.consents, name="consents"),
    path("consent/<slug:kind>/", views.sign, name="sign"),
    path("messages/", message_views.message_preferences, name="messages"),
    path("my-data/", views.my_data, name="data"),
    path("my-data/download/", views.download_data, name="download"),
    path("my-data/close/", views.close_account, name="close"),
]
