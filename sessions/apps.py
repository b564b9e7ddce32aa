from django.apps import AppConfig


class ClubSessionsConfig(AppConfig):
    """Clubs and their meetings.

    `django.contrib.sessions` already owns the label "sessions", so this app is labelled
    "club_sessions"; it must keep that label from its first migration on.
    """

    name = "sessions"
    label = "club_sessions"
    verbose_name = "Clubs and meetings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sessions import signals  # noqa: F401  (connects the receivers that keep cached screens fresh)
