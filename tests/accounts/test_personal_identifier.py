"""The teacher's personal identifier (教師個人專用識別號碼) is random; a draw that is already
taken is drawn again rather than failing the new teacher's insert (at national scale one draw
in ~4,500 collides)."""

import pytest

from inservice.accounts import models
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


def test_a_taken_identifier_is_drawn_again(monkeypatch):
    TeacherFactory(personal_identifier="T111111111")
    digits = iter("111111111" + "222222222")
    monkeypatch.setattr(models.secrets, "choice", lambda alphabet: next(digits))
    teacher = TeacherFactory()
    assert teacher.personal_identifier == "T222222222"


def test_identifiers_have_the_documented_shape():
    value = models.new_personal_identifier()
    assert len(value) == 10 and value[0] == "T" and value[1:].isdigit()
