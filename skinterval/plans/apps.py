from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "skinterval.plans"
    label = "plans"
