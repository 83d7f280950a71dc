"""Printable documents: a Django template rendered to an A4 PDF by WeasyPrint.

Every PDF embeds a subset of one CJK font (settings.PDF_FONT, a face of Noto Sans CJK by
default), so Chinese prints and can be searched and copied on any reader. Documents extend
`core/pdf/base.html`: A4 page, page numbers in the footer, an optional header block of
label/value rows, and tables whose header row repeats on every page.

Nothing is fetched from outside: the font and any images (e.g. a QR code) are handed to the
renderer in memory; any other URL stops the rendering (no network, no local files).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

FONT_URL = "inservice-pdf:font/cjk"
IMAGE_URL_PREFIX = "inservice-pdf:image/"
FONT_FAMILY = "InserviceCJK"
PDF_CONTENT_TYPE = "application/pdf"

# WeasyPrint reports each rendering step at INFO: not worth a log line per document.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

_render_lock = threading.Lock()
_font_config = None


class PdfFontMissing(ImproperlyConfigured):
    """The configured CJK font cannot be used: PDFs would print empty boxes, so refuse."""


def image_url(name: str) -> str:
    """The `src` a template uses for an image passed to `render_pdf(images={name: ...})`."""
    return IMAGE_URL_PREFIX + name


@functools.lru_cache(maxsize=4)
def font_bytes(path: str, face: str) -> bytes:
    """The font file's bytes; for a collection (.ttc) the one face named `face`, extracted."""
    font_path = Path(path)
    if not font_path.is_file():
        raise PdfFontMissing(
            f"The CJK font for PDFs was not found at {path!r}. Install the Debian/Ubuntu "
            "package fonts-noto-cjk (scripts/bootstrap.sh does) or set INSERVICE_PDF_FONT "
            "to a .ttf, .otf or .ttc font that covers Traditional Chinese."
        )
    data = font_path.read_bytes()
    if data[:4] != b"ttcf":
        return data
    from fontTools.ttLib import TTCollection, TTFont

    collection = TTCollection(BytesIO(data), lazy=True)
    available = []
    for number, font in enumerate(collection.fonts):
        names = {font["name"].getDebugName(i) for i in (1, 4, 6)}
        available.append(font["name"].getDebugName(1))
        if face in names:
            out = BytesIO()
            TTFont(BytesIO(data), fontNumber=number, lazy=True).save(out)
            return out.getvalue()
    raise PdfFontMissing(
        f"The font collection {path!r} has no face named {face!r} (INSERVICE_PDF_FONT_FACE); "
        f"it has: {', '.join(sorted(set(available)))}."
    )


def _font_data() -> bytes:
    return font_bytes(settings.PDF_FONT, settings.PDF_FONT_FACE)


def check_font() -> None:
    """Raise PdfFontMissing now (e.g. at start-up or in a check) rather than at first print."""
    _font_data()


def _css_string(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
        + '"'
    )


def page_numbers_css() -> str:
    """The footer's CSS `content` value, from one translatable sentence with two counters."""
    sentence = _("第 %(page)s 頁，共 %(pages)s 頁")
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", sentence):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def _fetcher(images: dict[str, tuple[bytes, str]]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):
        """Serves the font and the document's own images; refuses every other URL."""

        def fetch(self, url, headers=None):
            if url == FONT_URL:
                return URLFetcherResponse(url, _font_data(), {"Content-Type": "font/otf"})
            if url.startswith(IMAGE_URL_PREFIX) and url[len(IMAGE_URL_PREFIX) :] in images:
                body, mime = images[url[len(IMAGE_URL_PREFIX) :]]
                return URLFetcherResponse(url, body, {"Content-Type": mime})
            raise ValueError(f"PDF documents may not load {url!r}")

    return Fetcher(fail_on_errors=True)


def render_pdf(
    template_name: str,
    context: dict | None = None,
    *,
    images: dict[str, bytes | tuple[bytes, str]] | None = None,
) -> bytes:
    """Render `template_name` (extending core/pdf/base.html) to PDF bytes.

    `images` maps a name to PNG bytes (or (bytes, mime type)); the template shows one with
    `<img src="{{ pdf_images.NAME }}">`.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    global _font_config
    prepared = {
        name: value if isinstance(value, tuple) else (value, "image/png")
        for name, value in (images or {}).items()
    }
    html = render_to_string(
        template_name,
        {
            **(context or {}),
            "pdf_font_url": FONT_URL,
            "pdf_font_family": FONT_FAMILY,
            "pdf_page_numbers": mark_safe(page_numbers_css()),  # noqa: S308 - escaped above
            "pdf_images": {name: image_url(name) for name in prepared},
        },
    )
    _font_data()  # fail early with a clear message when the font is missing
    # WeasyPrint copies each @font-face font to a temporary folder per FontConfiguration:
    # one per process, shared by every document (and renders serialised, to be safe).
    with _render_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        document = HTML(string=html, url_fetcher=_fetcher(prepared), base_url="inservice-pdf:")
        return document.write_pdf(font_config=_font_config, pdf_tags=True)
