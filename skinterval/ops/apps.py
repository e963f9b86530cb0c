from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "skinterval.ops"
    verbose_name = "Operations (backup and restore)"
