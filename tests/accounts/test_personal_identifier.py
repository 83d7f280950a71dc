"""The teacher's personal identifier (教師個人專用識別號碼) is random, never also a valid ID
number (an upload naming it would be ambiguous), and a draw that is already taken is drawn
again rather than failing the new teacher's insert."""

import pytest

from inservice.accounts import models
from inservice.benchdata.generator import personal_identifier_for
from inservice.core import idnumbers
from tests.factories import TeacherFactory


def _is_id_number(value: str) -> bool:
    try:
        idnumbers.classify(value)
    except idnumbers.InvalidIdNumber:
        return False
    return True


@pytest.mark.django_db
def test_a_taken_identifier_is_drawn_again(monkeypatch):
    TeacherFactory(personal_identifier="T311111111")
    digits = iter("311111111" + "322222222")
    monkeypatch.setattr(models.secrets, "choice", lambda alphabet: next(digits))
    teacher = TeacherFactory()
    assert teacher.personal_identifier == "T322222222"


@pytest.mark.django_db
def test_identifiers_are_never_id_numbers():
    values = [models.new_personal_identifier() for _ in range(3000)]
    assert all(len(v) == 10 and v[0] == "T" and v[1:].isdigit() for v in values)
    assert not any(_is_id_number(v) for v in values)
    # The same shape with a second character of 1 or 2 often is one (T = 屏東縣).
    prefix = "T12345678"
    assert _is_id_number(prefix + idnumbers.check_digit_for(prefix))


def test_the_dataset_generator_makes_the_same_shape_distinct():
    values = {personal_identifier_for(t * 104729 + 100_000_008) for t in range(50_000)}
    assert len(values) == 50_000
    assert not any(_is_id_number(v) for v in values)
    assert all(v[1] in models.PERSONAL_IDENTIFIER_SECOND for v in values)
