"""Uploaded images on every path (admin, guide import, guides/images.py itself) and how media is served:
only PNG, JPEG, WebP and GIF, stored under names we make, capped in bytes and pixels before decoding."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from guides.exchange import GuideImportError, export_guide, import_guide
from guides.images import ImageRefused, check_image
from guides.models import Guide
from tests.guides.guide_builders import make_guide, png_bytes
from tests.guides.test_admin import change_form, form_errors, post_change, set_field

pytestmark = pytest.mark.django_db


def gif_polyglot() -> bytes:
    """A real one-pixel GIF with HTML and script after its trailer (browsers and Pillow ignore it)."""
    buffer = io.BytesIO()
    Image.new("P", (1, 1)).save(buffer, format="GIF")
    return buffer.getvalue() + b"<html><script>alert(document.cookie)</script></html>"


def bomb_png(width: int = 8000, height: int = 8000) -> bytes:
    """64 megapixels in a few kilobytes: under Pillow's own warning level, over ours (30)."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def exported_with_illustration(filename: str, raw: bytes) -> bytes:
    data = json.loads(export_guide(make_guide()))
    Guide.objects.all().delete()
    data["illustration"] = {"filename": filename, "data": base64.b64encode(raw).decode()}
    return json.dumps(data).encode()


def upload(client, guide: Guide, name: str, content: bytes):
    data = change_form(client, guide)
    set_field(data, "illustration_alt", "A reader.")
    data["illustration"] = SimpleUploadedFile(name, content)
    return post_change(client, guide, data)


@pytest.fixture
def never_decoded(monkeypatch):
    """Fails the test if Pillow decodes any pixels."""

    def refuse(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# Names we make


@pytest.mark.parametrize("filename", ["x.html", "x.js", "x.svg", "x"])
def test_an_imported_illustration_is_stored_under_our_name_with_the_decoded_formats_extension(filename):
    result = import_guide(exported_with_illustration(filename, gif_polyglot()))

    name = result.guide.illustration.name
    assert name.startswith("illustrations/")
    assert name.endswith(".gif")
    assert filename not in name


def test_an_imported_html_polyglot_is_served_as_a_gif_the_browser_may_not_sniff(client):
    guide = import_guide(exported_with_illustration("x.html", gif_polyglot())).guide

    response = client.get(guide.illustration.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert not response.get("Content-Disposition", "").startswith("attachment")


def test_an_admin_upload_is_stored_under_our_name(staff_client):
    guide = make_guide()
    response = upload(staff_client, guide, "reader.png", png_bytes())
    assert response.status_code == 302, form_errors(response)
    guide.refresh_from_db()
    assert guide.illustration.name.startswith("illustrations/")
    assert guide.illustration.name.endswith(".png")
    assert "reader" not in guide.illustration.name


@pytest.mark.parametrize("name", ["reader.pdf", "reader.eps", "reader.html"])
def test_an_admin_upload_of_image_bytes_named_as_another_kind_of_file_is_refused(staff_client, name):
    guide = make_guide()
    response = upload(staff_client, guide, name, png_bytes())
    assert response.status_code == 200
    [error] = form_errors(response)["illustration"]
    assert "which is not an image's" in error
    guide.refresh_from_db()
    assert not guide.illustration


def test_a_file_in_media_that_is_not_an_image_is_served_as_a_sandboxed_download(client, settings):
    Path(settings.MEDIA_ROOT, "illustrations").mkdir(exist_ok=True)
    Path(settings.MEDIA_ROOT, "illustrations", "old.html").write_bytes(b"<script>alert(1)</script>")

    response = client.get("/media/illustrations/old.html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# Formats


@pytest.mark.parametrize("image_format", ["BMP", "TIFF", "ICO", "PPM"])
def test_only_the_formats_browsers_show_are_accepted(image_format):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format=image_format)
    with pytest.raises(ImageRefused) as refused:
        check_image(buffer.getvalue())
    assert refused.value.code == "unsupported_format"


@pytest.mark.parametrize(("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_each_accepted_format_keeps_its_own_extension(image_format, extension):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format=image_format)
    assert check_image(buffer.getvalue()).file_name.endswith(f".{extension}")


def test_an_import_of_a_format_browsers_cannot_show_writes_nothing():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="BMP")
    with pytest.raises(GuideImportError, match="BMP images cannot be shown"):
        import_guide(exported_with_illustration("cover.png", buffer.getvalue()))
    assert not Guide.objects.exists()


# Decompression bombs


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(never_decoded):
    with pytest.raises(ImageRefused) as refused:
        check_image(bomb_png())
    assert refused.value.code == "too_many_pixels"
    assert "8000 by 8000 pixels" in str(refused.value)


def test_a_decompression_bomb_uploaded_in_the_admin_is_refused(staff_client, never_decoded):
    guide = make_guide()
    response = upload(staff_client, guide, "reader.png", bomb_png())
    assert response.status_code == 200
    [error] = form_errors(response)["illustration"]
    assert "at most 30 megapixels" in error


def test_a_decompression_bomb_in_an_import_is_refused(never_decoded):
    with pytest.raises(GuideImportError, match="at most 30 megapixels"):
        import_guide(exported_with_illustration("cover.png", bomb_png()))
    assert not Guide.objects.exists()


def test_an_image_over_pillows_own_limit_is_refused_as_too_many_pixels(never_decoded):
    with pytest.raises(ImageRefused) as refused:
        check_image(bomb_png(12_000, 12_000))
    assert refused.value.code == "too_many_pixels"


def test_bytes_beyond_the_limit_are_never_read(settings):
    settings.MAX_ILLUSTRATION_BYTES = 1000

    class Endless(io.RawIOBase):
        read_sizes: list[int] = []

        def read(self, size=-1):
            self.read_sizes.append(size)
            return b"\x00" * (10**9 if size < 0 else size)

    source = Endless()
    with pytest.raises(ImageRefused) as refused:
        check_image(source)
    assert refused.value.code == "file_too_large"
    assert source.read_sizes == [1001]


def test_an_import_over_the_byte_limit_is_refused_before_decoding(settings, never_decoded):
    settings.MAX_ILLUSTRATION_BYTES = 100
    with pytest.raises(GuideImportError, match="larger than 100 bytes"):
        import_guide(exported_with_illustration("cover.png", png_bytes(200, 200)))
