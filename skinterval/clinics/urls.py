from django.urls import path

from skinterval.clinics import views

app_name = "clinics"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("today/", views.dashboard, name="dashboard"),
]
