from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "skinterval.accounts"
    label = "accounts"
