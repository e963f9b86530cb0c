from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "skinterval.photos"
    label = "photos"
    verbose_name = "Clinical photos"

    def ready(self) -> None:
        from skinterval.photos import storage  # noqa: F401 - registers its check
