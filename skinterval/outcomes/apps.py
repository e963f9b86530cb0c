from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "skinterval.outcomes"
    label = "outcomes"
    verbose_name = "Check-ins and outcomes"
