from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "skinterval.clinics"
    label = "clinics"
