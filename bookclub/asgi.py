"""ASGI entry point: `uvicorn bookclub.asgi:application` is a complete server (WhiteNoise serves static files)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookclub.settings")

application = get_asgi_application()
