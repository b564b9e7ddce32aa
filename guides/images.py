"""Checking uploaded images, for every path that stores one (the admin's illustration field, guide
import, a host's cover upload).

An upload is stored only if Pillow decodes it as PNG, JPEG, WebP or GIF, and under a name we make
(`<directory>/<hash>.<extension of the decoded format>`), never the name it arrived with: a GIF that is
also valid HTML must be stored, and so served, as `.gif`. Bytes and pixels are capped before anything
is decoded, so a small file that expands to gigabytes of pixels (a decompression bomb) is refused from
its header alone.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

# The formats every browser shows, and the extension we store each under. MPO is how Pillow names the
# JPEGs that phone cameras write with a depth map attached.
FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
# File names an upload may arrive with: anything else (.pdf, .eps, .html) is refused even when the
# bytes inside are a fine PNG, so what an editor picked and what we store never disagree.
UPLOAD_EXTENSIONS = {"jpg", "jpeg", "png", "webp", "gif"}
ACCEPTED = "Upload a JPEG, PNG, WebP or GIF image."


class ImageRefused(ValueError):
    """Why an upload is not an image we store, in words to show the person who sent it."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedImage:
    raw: bytes
    format: str  # Pillow's name for it: "PNG", "JPEG"...
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    @property
    def file_name(self) -> str:
        """Content-addressed, so the same image stored twice is one file, and an export then import
        keeps the name."""
        digest = hashlib.sha256(self.raw).hexdigest()[:20]
        return f"{digest}.{self.extension}"

    def as_file(self) -> ContentFile:
        """The image as a file to save into a FileField or storage, under the name we made."""
        return ContentFile(self.raw, name=self.file_name)


def check_upload_name(name: str | None) -> None:
    """Refuse a file picked with a name that is not an image's (reader.pdf, reader.eps)."""
    extension = posixpath.splitext(name or "")[1].lower().lstrip(".")
    if extension not in UPLOAD_EXTENSIONS:
        shown = f".{extension}" if extension else "no extension"
        raise ImageRefused(
            f"The file is named with {shown}, which is not an image's. {ACCEPTED}", code="invalid_extension"
        )


def check_image(source: bytes | IO[bytes], *, max_bytes: int | None = None) -> CheckedImage:
    """The image in `source` if it is one we store, else ImageRefused.

    Order matters: the byte count first (nothing is read beyond the limit), then the pixel count from
    the header, and only then does Pillow decode the whole file.
    """
    max_bytes = settings.MAX_ILLUSTRATION_BYTES if max_bytes is None else max_bytes
    raw = _read_at_most(source, max_bytes)
    max_pixels = settings.MAX_IMAGE_PIXELS
    try:
        # Pillow warns about (and past twice its own limit refuses) huge images when opening them;
        # either way that is a bomb to us.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as image:
                image_format = image.format or ""
                width, height = image.size
                if image_format in FORMATS and width * height <= max_pixels:
                    image.load()  # decodes the first frame: catches truncated or corrupt data
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        # Pillow raises a zoo of exception types for bad files; whichever it is, the file is unusable.
        message = f"This file is not an image we can read. {ACCEPTED}"
        raise ImageRefused(message, code="invalid_image") from None
    if image_format not in FORMATS:
        raise ImageRefused(
            f"{image_format or 'This kind of'} images cannot be shown on every device. "
            "Upload a JPEG, PNG, WebP or GIF image instead.",
            code="unsupported_format",
        )
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, width, height)
    return CheckedImage(raw=raw, format=image_format, width=width, height=height)


def _too_many_pixels(limit: int, width: int | None = None, height: int | None = None) -> ImageRefused:
    size = f" is {width} by {height} pixels; it" if width else ""
    return ImageRefused(
        f"The image{size} can have at most {limit / 1_000_000:g} megapixels. Save it smaller and try again.",
        code="too_many_pixels",
    )


def _read_at_most(source: bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray):
        raw = bytes(source)
    else:
        size = getattr(source, "size", None)
        if size is not None and size > max_bytes:
            raise _too_large(size, max_bytes)
        seekable = getattr(source, "seekable", lambda: hasattr(source, "seek"))()
        if seekable:
            source.seek(0)
        raw = source.read(max_bytes + 1)
        if seekable:
            source.seek(0)
    if len(raw) > max_bytes:
        raise _too_large(len(raw), max_bytes)
    return raw


def _too_large(size: int, limit: int) -> ImageRefused:
    return ImageRefused(
        f"The image is {filesizeformat(size)}; it can be at most {filesizeformat(limit)}. "
        "Save it smaller and try again.",
        code="file_too_large",
    )
