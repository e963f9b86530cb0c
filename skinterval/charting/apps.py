from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "skinterval.charting"
    label = "charting"
    verbose_name = "Consent and session charting"
