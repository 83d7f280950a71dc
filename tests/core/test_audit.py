from inservice.core.audit import history_for, log_event
from inservice.core.models import AuditEvent
from tests.factories import UnitFactory, UserFactory


def test_log_event_masks_secrets_and_records_object(db):
    actor = UserFactory()
    unit = UnitFactory()
    event = log_event(
        "unit.updated",
        actor=actor,
        obj=unit,
        before={"phone": "1", "password": "x"},
        after={"phone": "2", "id_number": "A123456789", "nested": {"token": "t"}},
    )
    event.refresh_from_db()
    assert event.actor == actor
    assert event.object_type == "organizations.unit"
    assert event.object_id == str(unit.pk)
    assert event.before == {"phone": "1", "password": "***"}
    assert event.after == {"phone": "2", "id_number": "***", "nested": {"token": "***"}}
    assert list(history_for(unit)) == [event]


def test_request_address_recorded(client, db, settings):
    """The middleware makes the client address available to services."""
    from django.urls import path

    from inservice.core.access import public

    @public
    def view(request):
        from django.http import HttpResponse

        log_event("test.ping")
        return HttpResponse("ok")

    import sys
    import types

    module = types.ModuleType("tests_audit_urls")
    module.urlpatterns = [path("ping/", view)]
    sys.modules["tests_audit_urls"] = module
    settings.ROOT_URLCONF = "tests_audit_urls"
    client.get("/ping/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="pytest-agent")
    event = AuditEvent.objects.get(action="test.ping")
    assert event.ip == "203.0.113.9"
    assert event.user_agent == "pytest-agent"
    assert event.actor_label == "system"
