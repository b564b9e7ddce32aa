"""Text out of the files hosts have: plain text and Markdown, web pages, PDFs and Word documents.

Each reader turns a file into `SourceLine`s: one line of text each, marked when the file itself says it
is a heading (an HTML <h1>-<h6>, a Word heading style) and numbered by PDF page, for guides.layouts to
recognise. The formats are read by their libraries (BeautifulSoup, pypdf, python-docx); what a file
cannot give (a scanned PDF has no text) is a `GuideReadError` with one line saying why.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.template.defaultfilters import filesizeformat

logger = logging.getLogger(__name__)

# Guide files are a few hundred kilobytes at most, PDFs included; reading more only ties up the worker.
MAX_GUIDE_FILE_BYTES = 5 * 1024 * 1024
# A .docx is a zip archive; a few kilobytes can inflate to gigabytes, so the archive's own account of
# its sizes is checked before any of it is unpacked.
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 200

EXTENSIONS = {
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
ACCEPTED = ", ".join(sorted({ext for ext in EXTENSIONS if ext != ".markdown"}))

# Elements of a web page that are never part of the guide: code, navigation and page furniture.
_HTML_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "dialog",
)
_HTML_BLOCKS = (
    "p",
    "div",
    "li",
    "br",
    "tr",
    "section",
    "article",
    "main",
    "blockquote",
    "dd",
    "dt",
    "figcaption",
    "pre",
)
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class GuideReadError(ValueError):
    """A file that cannot be read as a guide; str() is one line saying why."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


@dataclass
class SourceLine:
    text: str
    heading: bool = False  # the file marks it as a heading
    page: int | None = None  # PDF page, for spotting running headers
    list_item: bool = False  # the file marks it as a list item (<li>, a Word list paragraph)


def read_file(name: str, data: bytes) -> list[SourceLine]:
    """The lines of an uploaded guide file, by its extension."""
    kind = EXTENSIONS.get(PurePath(name).suffix.lower())
    if kind is None:
        if PurePath(name).suffix.lower() == ".doc":
            raise GuideReadError(
                "Word 97-2003 (.doc) files cannot be read. Save it as a .docx document and try again."
            )
        raise GuideReadError(f"This kind of file cannot be read. Upload one of: {ACCEPTED}.")
    check_size(len(data))
    if not data.strip():
        raise GuideReadError("The file is empty.")
    reader = {"text": read_text, "html": read_html, "pdf": read_pdf, "docx": read_docx}[kind]
    lines = reader(data)
    if not any(line.text.strip() for line in lines):
        raise GuideReadError("The file has no text in it.")
    return lines


def check_size(size: int) -> None:
    if size > MAX_GUIDE_FILE_BYTES:
        raise GuideReadError(
            f"The file is {filesizeformat(size)}; a guide file can be at most "
            f"{filesizeformat(MAX_GUIDE_FILE_BYTES)}."
        )


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise GuideReadError("This is not a text file: it holds binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Text saved by older Windows programs; every byte means something in cp1252 except five.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise GuideReadError("This is not a text file: it is not in any text encoding we know.") from None


def read_text(data: bytes) -> list[SourceLine]:
    return lines_of(decode(data))


def lines_of(text: str) -> list[SourceLine]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise GuideReadError("This is not text: it holds binary data.")
    return [SourceLine(line) for line in text.split("\n")]


def read_html(data: bytes) -> list[SourceLine]:
    from bs4 import BeautifulSoup

    if b"\x00" in data:
        raise GuideReadError("This is not a web page: it holds binary data.")
    soup = BeautifulSoup(data, "html.parser")
    for element in soup.find_all(_HTML_DROPPED):
        element.decompose()
    body = soup.body or soup
    lines: list[SourceLine] = []
    for element in body.find_all(_HTML_HEADINGS):
        element.insert_before("\n\x01")
        element.insert_after("\n")
    for element in body.find_all("li"):
        if element.find_parent("li") is not None:
            # A list inside a question's item holds its sub-questions: (a), (b), ...
            letter = "abcdefghijklmnopqrstuvwxyz"[min(len(element.find_previous_siblings("li")), 25)]
            element.insert_before(f"\n{letter}) ")
        else:
            element.insert_before("\n\x02")
    for element in body.find_all(_HTML_BLOCKS):
        element.insert_after("\n")
    for raw in body.get_text().split("\n"):
        heading = raw.startswith("\x01")
        item = raw.startswith("\x02")
        text = " ".join(raw.replace("\x01", "").replace("\x02", "").split())
        lines.append(SourceLine(text, heading=heading and bool(text), list_item=item and bool(text)))
    return lines


def read_pdf(data: bytes) -> list[SourceLine]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise GuideReadError("This is not a PDF file, though its name ends in .pdf.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise GuideReadError("This PDF is protected by a password, so its text cannot be read.")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise GuideReadError(
                f"This PDF has {len(reader.pages)} pages; a guide can have at most {MAX_PDF_PAGES}."
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except GuideReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
        # pypdf raises several kinds of error for a damaged file; whichever it is, the file is unreadable.
        logger.info("Unreadable PDF upload", exc_info=True)
        raise GuideReadError("This PDF is damaged and cannot be read.") from None
    if not any(page.strip() for page in pages):
        raise GuideReadError(
            "This PDF has no text in it: it looks like a scanned image, which cannot be read. "
            "Paste the questions instead, or use a PDF whose text you can select."
        )
    lines: list[SourceLine] = []
    for number, text in enumerate(pages, start=1):
        lines.extend(SourceLine(line.strip(), page=number) for line in text.split("\n"))
        lines.append(SourceLine("", page=number))
    return lines


def read_docx(data: bytes) -> list[SourceLine]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        raise GuideReadError("This is not a Word document (.docx), though its name says so.") from None
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise GuideReadError(
            f"This Word document unpacks to {filesizeformat(unpacked)}; a guide can be at most "
            f"{filesizeformat(MAX_DOCX_UNPACKED_BYTES)}."
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile):
        raise GuideReadError("This is not a Word document (.docx), though its name says so.") from None
    except Exception:
        logger.info("Unreadable .docx upload", exc_info=True)
        raise GuideReadError("This Word document is damaged and cannot be read.") from None
    lines: list[SourceLine] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = style.startswith(("Heading", "Title"))
        item = style.startswith("List") or (
            paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
        )
        for text in paragraph.text.split("\n"):
            lines.append(SourceLine(text.strip(), heading=heading and bool(text.strip()), list_item=item))
        lines.append(SourceLine(""))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                lines.extend(SourceLine(text.strip()) for text in cell.text.split("\n"))
                lines.append(SourceLine(""))
    return lines
