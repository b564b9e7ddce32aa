from django.apps import AppConfig


class GuidesConfig(AppConfig):
    name = "guides"
    verbose_name = "Book guides"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guides import signals  # noqa: F401  (connects the receivers that keep cached pages fresh)
