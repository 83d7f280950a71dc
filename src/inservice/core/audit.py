"""The audit trail: services call `log_event` inside their transaction (pretix's log_action)."""

from __future__ import annotations

from typing import Any

from .middleware import current_request_info
from .models import AuditEvent
from .prepared import PreparedInsert

# Every service writes here, some on hot paths (a registration burst): compiled once.
_NEW_EVENT = PreparedInsert(AuditEvent)

# Keys whose values never reach the audit table in clear.
SECRET_KEYS = {"password", "token", "id_number", "secret", "birth_date", "captcha"}


def mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if any(s in k.lower() for s in SECRET_KEYS) else mask(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def log_event(
    action: str,
    *,
    actor=None,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    data: dict | None = None,
) -> AuditEvent:
    info = current_request_info()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return _NEW_EVENT.create(
        actor=actor_obj,
        actor_label=str(actor)[:200] if actor is not None else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        before=mask(before) if before is not None else None,
        after=mask(after) if after is not None else None,
        data=mask(data or {}),
        ip=info.ip,
        user_agent=info.user_agent,
    )


def history_for(obj):
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")
