from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "skinterval.audit"
    label = "audit"
    verbose_name = "Audit log"
