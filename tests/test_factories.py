from inservice.core import idnumbers
from tests.factories import StaffFactory, TeacherFactory, make_id_number


def test_generated_id_numbers_are_valid_in_every_format():
    for kind in (idnumbers.NATIONAL, idnumbers.RESIDENT_NEW, idnumbers.RESIDENT_OLD):
        value = make_id_number(kind)
        assert idnumbers.classify(value) == (value, kind)


def test_teacher_factory_protects_the_id_number(db):
    teacher = TeacherFactory(id_number="A123456789")
    assert teacher.id_number_hint == "A******789"
    assert idnumbers.decrypt(teacher.id_number_encrypted) == "A123456789"
    assert teacher.id_number_digest == idnumbers.digest("a123456789")
    assert b"A123456789" not in bytes(teacher.id_number_encrypted)


def test_staff_factory_is_usable(db):
    staff = StaffFactory()
    assert staff.is_usable and staff.user.is_staff_account
