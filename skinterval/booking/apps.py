from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "skinterval.booking"
    verbose_name = "Online booking"
