from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "skinterval.appointments"
    label = "appointments"
