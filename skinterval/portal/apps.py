from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "skinterval.portal"
    label = "portal"
