from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Calendar feeds and the FHIR export (no models; the app holds the
    `export_fhir` command)."""

    name = "skinterval.interop"
    verbose_name = "Interoperability"
