from django.urls import path

from skinterval.charting import views

app_name = "charting"
urlpatterns = [
    path("patient/<uuid:patient_id>/consents/", views.consents, name="consents"),
    path(
        "patient/<uuid:patient_id>/consents/<slug:kind>/sign/",
        views.sign,
        name="sign",
    ),
    path("consent/<int:consent_id>/withdraw/", views.withdraw, name="withdraw"),
    path("appointment/<int:appointment_id>/", views.chart, name="chart"),
]
