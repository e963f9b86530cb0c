from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "skinterval.demo"
    label = "demo"
