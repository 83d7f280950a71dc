"""Transcripts: masked names, the snapshot and its digest, self-checking verification codes,
the PDF (Chinese text, embedded font, no ID number, a QR code that decodes to the
verification URL), the public verification page, and who may get a transcript."""

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from inservice.core.models import AuditEvent
from inservice.records.models import TrainingRecord, Transcript
from inservice.records.services import transcripts
from tests.factories import TeacherFactory, UnitFactory, make_id_number, make_teacher_user


def make_training_record(teacher, *, code, name, start, hours, end=None):
    return TrainingRecord.objects.create(
        teacher=teacher,
        course_code=code,
        course_name=name,
        organizer_name="臺北市立測試國民小學",
        source="online",
        start_date=start,
        end_date=end or start,
        hours_requested=Decimal(hours),
        hours=Decimal(hours),
        closed_at=timezone.now(),
    )


# --- masked names (no database) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王○明"),
        ("王明", "王○"),
        ("歐陽小明", "歐○○明"),
        ("司馬相如文", "司○○○文"),
        ("林", "○"),
        ("Mary Lin", "M*** L**"),
        ("Yapit．Tali", "Y****．T***"),
        ("尤瑪．達陸", "尤○．達○"),
        ("  王小明 ", "王○明"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert transcripts.mask_name(name) == masked


# --- codes (no database) --------------------------------------------------------------------


def test_new_codes_are_well_formed_self_checking_and_distinct():
    codes = {transcripts.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 19 and code.count("-") == 3
        assert transcripts.normalize_code(code) == code
        # What a person might type: lower case, no dashes, spaces.
        assert transcripts.normalize_code(code.lower().replace("-", " ")) == code


def test_a_changed_character_fails_the_check():
    code = transcripts.new_code()
    raw = code.replace("-", "")
    refused = 0
    for position in range(len(raw)):
        for replacement in transcripts.ALPHABET:
            if replacement == raw[position]:
                continue
            changed = raw[:position] + replacement + raw[position + 1 :]
            try:
                transcripts.normalize_code(changed)
            except transcripts.TranscriptCodeMalformed:
                refused += 1
    # 16 positions × 31 replacements; a 20-bit check lets (almost) none through.
    assert refused >= 16 * 31 - 1


@pytest.mark.parametrize("text", ["", "ABC", "ABCD-EFGH-JKMN-PQRS-TVWX", "ABCD-EFGH-JKMN-PQR!"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(transcripts.TranscriptCodeMalformed) as info:
        transcripts.normalize_code(text)
    assert str(info.value.message) == "驗證碼格式不正確"


def test_codes_from_another_secret_key_are_refused(settings):
    code = transcripts.new_code()
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(transcripts.TranscriptCodeMalformed):
        transcripts.normalize_code(code)
    settings.SECRET_KEY_FALLBACKS = ["irrelevant"]
    with pytest.raises(transcripts.TranscriptCodeMalformed):
        transcripts.normalize_code(code)


def test_codes_survive_a_secret_key_rotation(settings):
    old_key = settings.SECRET_KEY
    code = transcripts.new_code()
    settings.SECRET_KEY = "the-new-secret-key-after-rotation-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert transcripts.normalize_code(code) == code


# --- periods (no database) ------------------------------------------------------------------


def test_periods():
    assert transcripts.parse_period({}).label == ""
    year = transcripts.parse_period({"year": "2024"})
    assert (year.start, year.end, year.label) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 12, 31),
        "2024 年",
    )
    one = transcripts.parse_period({"school_year_from": "113"})
    assert (one.start, one.end, one.label) == (
        datetime.date(2024, 8, 1),
        datetime.date(2025, 7, 31),
        "113 學年度",
    )
    span = transcripts.parse_period({"school_year_from": "111", "school_year_to": "113"})
    assert (span.start, span.end, span.label) == (
        datetime.date(2022, 8, 1),
        datetime.date(2025, 7, 31),
        "111–113 學年度",
    )
    for bad in (
        {"year": "abc"},
        {"year": "1800"},
        {"school_year_from": "113", "school_year_to": "111"},
        {"year": "2024", "school_year_from": "113"},
    ):
        with pytest.raises(transcripts.ValidationFailed):
            transcripts.parse_period(bad)


# --- issuing ----------------------------------------------------------------------------------

ID_NUMBER = make_id_number()


@pytest.fixture
def teacher_user(db):
    user = make_teacher_user(UnitFactory(name="新北市立範例國民中學"))
    teacher = user.teacher
    teacher.name = "王小明"
    teacher.birth_date = datetime.date(1983, 4, 27)
    teacher.save()
    from inservice.core import idnumbers

    idnumbers.protect(ID_NUMBER).apply_to(teacher)
    teacher.save()
    return user


@pytest.fixture
def records(teacher_user):
    teacher = teacher_user.teacher
    return [
        make_training_record(
            teacher,
            code="1130045678",
            name="閱讀理解策略教學工作坊",
            start=datetime.date(2024, 3, 9),
            hours="3",
        ),
        make_training_record(
            teacher,
            code="1130098765",
            name="校園數位學習與資訊安全研習",
            start=datetime.date(2024, 10, 2),
            end=datetime.date(2024, 10, 3),
            hours="6.5",
        ),
        make_training_record(
            teacher,
            code="1120011111",
            name="特殊教育知能三小時研習",
            start=datetime.date(2023, 5, 20),
            hours="3",
        ),
    ]


@pytest.mark.django_db
def test_issue_transcript_snapshots_records(teacher_user, records):
    teacher = teacher_user.teacher
    transcript = transcripts.issue_transcript(teacher=teacher)
    transcript.refresh_from_db()
    assert transcript.masked_name == "王○明"
    assert transcript.total_hours == Decimal("12.5")
    assert [e["course_code"] for e in transcript.entries] == [
        "1120011111",
        "1130045678",
        "1130098765",
    ]
    assert transcript.entries[2] == {
        "course_code": "1130098765",
        "course_name": "校園數位學習與資訊安全研習",
        "start_date": "2024-10-02",
        "end_date": "2024-10-03",
        "hours": "6.5",
    }
    assert transcript.digest == transcripts.compute_digest(transcript)
    assert len(transcript.digest) == 64
    assert "王小明" not in repr(transcript.entries) + transcript.masked_name
    # Later changes to the records do not change what was issued.
    TrainingRecord.objects.filter(teacher=teacher).update(hours=Decimal("1"))
    assert transcripts.verify(transcript.code).total_hours == Decimal("12.5")


@pytest.mark.django_db
def test_issue_transcript_refuses_someone_elses_records(teacher_user, records):
    other = TeacherFactory()
    with pytest.raises(transcripts.ValidationFailed):
        transcripts.issue_transcript(teacher=other, records=records)


@pytest.mark.django_db
def test_verify_refuses_malformed_unknown_and_altered(teacher_user, records):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    assert transcripts.verify(transcript.code) == transcript
    assert transcripts.verify(transcript.code.lower().replace("-", "")) == transcript

    raw = transcript.code.replace("-", "")
    tampered = raw[:5] + ("A" if raw[5] != "A" else "B") + raw[6:]
    with pytest.raises(transcripts.TranscriptCodeMalformed):
        transcripts.verify(tampered)

    unknown = transcripts.new_code()  # well formed, never issued
    with pytest.raises(transcripts.TranscriptNotFound) as info:
        transcripts.verify(unknown)
    assert str(info.value.message) == "查無此驗證碼"

    Transcript.objects.filter(pk=transcript.pk).update(total_hours=Decimal("99"))
    with pytest.raises(transcripts.TranscriptAltered):
        transcripts.verify(transcript.code)


# --- the PDF ----------------------------------------------------------------------------------


def pdf_reader(content):
    return pypdf.PdfReader(io.BytesIO(content))


@pytest.mark.django_db
def test_transcript_pdf_text_font_and_qr(teacher_user, records, settings):
    settings.SITE_URL = "https://inservice.example.tw"
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    content = transcripts.transcript_pdf(transcript)
    reader = pdf_reader(content)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "教師在職進修研習時數證明" in text
    assert "王小明" in text  # the teacher's own copy carries the full name
    assert "新北市立範例國民中學" in text
    assert "閱讀理解策略教學工作坊" in text and "校園數位學習與資訊安全研習" in text
    assert "12.5" in text
    assert transcript.code in text
    assert ID_NUMBER not in text
    assert "1983" not in text

    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile2", "/FontFile3"))

    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    decoded = zxingcpp.read_barcodes(images[0].image)
    assert [d.text for d in decoded] == [f"https://inservice.example.tw/verify/{transcript.code}/"]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode


# --- views ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_teacher_downloads_own_transcript(client, teacher_user, records):
    client.force_login(teacher_user)
    response = client.get(reverse("records:transcript_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    transcript = Transcript.objects.get(teacher=teacher_user.teacher)
    assert len(transcript.entries) == 3
    assert transcript.code in pdf_reader(response.content).pages[0].extract_text()
    event = AuditEvent.objects.get(action="records.transcript_issued")
    assert event.actor == teacher_user and event.object_id == str(transcript.pk)
    assert ID_NUMBER not in str(event.data)


@pytest.mark.django_db
def test_transcript_for_a_calendar_year_and_school_years(client, teacher_user, records):
    client.force_login(teacher_user)
    assert client.get(reverse("records:transcript_pdf"), {"year": "2024"}).status_code == 200
    by_year = Transcript.objects.latest("issued_at")
    assert by_year.period == "2024 年"
    assert {e["course_code"] for e in by_year.entries} == {"1130045678", "1130098765"}
    assert by_year.total_hours == Decimal("9.5")

    client.get(reverse("records:transcript_pdf"), {"school_year_from": "113"})
    school_year = Transcript.objects.latest("issued_at")
    assert school_year.period == "113 學年度"
    assert [e["course_code"] for e in school_year.entries] == ["1130098765"]

    bad = client.get(reverse("records:transcript_pdf"), {"year": "abc"})
    assert bad.status_code == 400
    assert "年度須為西元年" in bad.content.decode()


@pytest.mark.django_db
def test_transcript_only_for_teachers(client, teacher_user, records):
    response = client.get(reverse("records:transcript_pdf"))
    assert response.status_code == 302 and "login" in response["Location"]

    from tests.factories import StaffFactory

    client.force_login(StaffFactory().user)
    assert client.get(reverse("records:transcript_pdf")).status_code == 403


@pytest.mark.django_db
def test_another_teacher_gets_only_their_own_records(client, teacher_user, records):
    other = make_teacher_user(UnitFactory())
    other.teacher.name = "李美華"
    other.teacher.save()
    client.force_login(other)
    response = client.get(reverse("records:transcript_pdf"))
    assert response.status_code == 200
    text = pdf_reader(response.content).pages[0].extract_text()
    assert "李美華" in text
    assert "王小明" not in text and "閱讀理解策略教學工作坊" not in text
    assert Transcript.objects.get(teacher=other.teacher).entries == []
    assert not Transcript.objects.filter(teacher=teacher_user.teacher).exists()


@pytest.mark.django_db
def test_verification_page_shows_masked_name_and_hours_only(client, teacher_user, records):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    response = client.get(reverse("records:verify", args=[transcript.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王○明" in page
    assert "王小明" not in page
    assert "1130045678" in page and "閱讀理解策略教學工作坊" in page
    assert "12.5" in page and "6.5" in page
    assert timezone.localtime(transcript.issued_at).strftime("%Y-%m-%d") in page
    assert ID_NUMBER not in page
    assert "新北市立範例國民中學" not in page  # the serving unit is not shown publicly
    assert teacher_user.teacher.personal_identifier not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.django_db
def test_verification_page_refuses_tampered_and_unknown_codes(client, teacher_user, records):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    raw = transcript.code.replace("-", "")
    tampered = raw[:3] + ("Z" if raw[3] != "Z" else "Y") + raw[4:]
    response = client.get(reverse("records:verify", args=[tampered]))
    assert response.status_code == 404
    assert "驗證碼格式不正確" in response.content.decode()
    assert "王○明" not in response.content.decode()

    unknown = transcripts.new_code()
    response = client.get(reverse("records:verify", args=[unknown]))
    assert response.status_code == 404
    assert "查無此驗證碼" in response.content.decode()

    assert client.get(reverse("records:verify", args=["not-a-code"])).status_code == 404


@pytest.mark.django_db
def test_verification_form_leads_to_the_page(client, teacher_user, records):
    transcript = transcripts.issue_transcript(teacher=teacher_user.teacher)
    assert client.get(reverse("records:verify_form")).status_code == 200
    typed = transcript.code.lower().replace("-", "")
    response = client.get(reverse("records:verify_form"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("records:verify", args=[transcript.code])
    wrong = client.get(reverse("records:verify_form"), {"code": "ABCD"})
    assert wrong.status_code == 404 and "驗證碼格式不正確" in wrong.content.decode()
