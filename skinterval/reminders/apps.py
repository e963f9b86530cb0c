from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "skinterval.reminders"
    verbose_name = "Messages to patients"
