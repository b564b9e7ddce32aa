"""Which release of Bookclub is running, as a short digest: the cache's KEY_PREFIX (bookclub/settings.py),
so that a deploy never serves what older code rendered from a Redis that outlives it.

It reads no settings, because the settings module calls it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

# What shapes the HTML we cache: our code, templates and static files (their URLs), and the libraries
# that turn guide text into HTML. A change elsewhere in the lock file keeps the cache; that is fine.
FOLDERS = ("bookclub", "guides", "sessions", "templates", "static")
PACKAGES = ("django", "django-template-partials", "markdown", "nh3")


def code_digest(root: Path) -> str:
    """A digest of every file under FOLDERS of `root` and of PACKAGES' versions (about 10 ms)."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for package in PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    return digest.hexdigest()
