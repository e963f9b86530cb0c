from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "skinterval.patients"
    label = "patients"
