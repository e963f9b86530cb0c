from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "skinterval.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )

        from skinterval.audit import signals

        user_logged_in.connect(signals.on_logged_in, dispatch_uid="audit_login")
        user_logged_out.connect(signals.on_logged_out, dispatch_uid="audit_logout")
        user_login_failed.connect(
            signals.on_login_failed, dispatch_uid="audit_login_failed"
        )
        user_locked_out.connect(signals.on_locked_out, dispatch_uid="audit_locked_out")
