"""The PDF infrastructure: the CJK font comes from settings, a missing font is a clear error,
and a document may load nothing but its font and its own images."""

import io
import logging

import pypdf
import pytest
import segno

from inservice.core import pdf

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_collection_face_is_extracted_by_name(settings):
    data = pdf.font_bytes(settings.PDF_FONT, settings.PDF_FONT_FACE)
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True)
    assert font["name"].getDebugName(1) == settings.PDF_FONT_FACE
    assert ord("臺") in font.getBestCmap()


def test_missing_font_is_a_clear_error(settings):
    settings.PDF_FONT = "/nonexistent/NotoSansCJK-Regular.ttc"
    with pytest.raises(pdf.PdfFontMissing) as info:
        pdf.check_font()
    assert "fonts-noto-cjk" in str(info.value) and "INSERVICE_PDF_FONT" in str(info.value)
    with pytest.raises(pdf.PdfFontMissing):
        pdf.render_pdf("core/pdf/base.html", {"doc_title": "測試"})


def test_unknown_face_lists_the_faces_there_are(settings):
    settings.PDF_FONT_FACE = "No Such Face"
    with pytest.raises(pdf.PdfFontMissing) as info:
        pdf.check_font()
    assert "Noto Sans CJK TC" in str(info.value)


def test_a_single_font_file_is_used_as_it_is(settings):
    settings.PDF_FONT = DEJAVU
    with open(DEJAVU, "rb") as f:
        assert pdf.font_bytes(DEJAVU, settings.PDF_FONT_FACE) == f.read()


def test_document_with_image_renders_and_outside_urls_are_refused(caplog):
    qr = io.BytesIO()
    segno.make("https://example.org/").save(qr, kind="png", scale=4)
    content = pdf.render_pdf(
        "records/transcript_pdf.html",
        {"doc_title": "研習時數證明", "transcript": {"entries": [], "total_hours": 0}},
        images={"qr": qr.getvalue()},
    )
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert "研習時數證明" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 1

    fetcher = pdf._fetcher({})
    for url in ("file:///etc/passwd", "https://example.org/x.png", "inservice-pdf:image/qr"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    with caplog.at_level(logging.INFO):
        pdf.render_pdf("core/pdf/base.html", {"doc_title": "測試"})
    # No warnings (unsupported CSS, missing resources) and no per-step chatter.
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


def test_page_numbers_come_from_one_sentence():
    assert pdf.page_numbers_css() == '"第 " counter(page) " 頁，共 " counter(pages) " 頁"'
    assert pdf._css_string('a"b\\c</style>') == '"a\\"b\\\\c\\3c /style>"'
