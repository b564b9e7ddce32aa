"""Prepare a fresh installation for a first look (`make run` calls it): the demo guide and a staff login.

Safe to run any number of times: it creates only what is missing and never changes what exists.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from guides.exchange import GuideImportError, import_guide
from guides.models import Guide

DEMO_GUIDE = Path("demo") / "never-let-me-go.txt"
DEMO_SLUG = "never-let-me-go"
DEMO_USERNAME = "editor"


class Command(BaseCommand):
    help = "Import the demo guide and create the staff account 'editor', unless they exist already."

    def handle(self, *args, **options) -> None:
        self._demo_guide()
        self._editor()

    def _demo_guide(self) -> None:
        existing = Guide.objects.filter(slug=DEMO_SLUG).first()
        if existing:
            self.stdout.write(f"Demo guide '{existing.title}' is already there.")
            return
        path = Path(settings.BASE_DIR) / DEMO_GUIDE
        try:
            result = import_guide(path.read_bytes())
        except (OSError, GuideImportError) as error:
            problem = str(error) if isinstance(error, GuideImportError) else f"{path}: {error.strerror}"
            self.stderr.write(" ".join(f"setup_demo: {problem}".split()))
            sys.exit(1)
        self.stdout.write(result.message)

    def _editor(self) -> None:
        users = get_user_model()
        if users.objects.filter(**{users.USERNAME_FIELD: DEMO_USERNAME}).exists():
            self.stdout.write(
                f"Demo staff account '{DEMO_USERNAME}' exists; to set a new password run: "
                f"python manage.py changepassword {DEMO_USERNAME}"
            )
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(DEMO_USERNAME, email="", password=password)
        self.stdout.write(f"Demo staff login: {DEMO_USERNAME} / {password} (shown only now)")
