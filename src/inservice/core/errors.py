"""One catalogue of domain errors. Views turn them into messages; the text is translatable."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule said no. `message` is shown to the user as it is."""

    code = "error"
    default_message = _("操作無法完成。")

    def __init__(self, message=None, *, code=None, field=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self.message))


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    default_message = _("您沒有執行此操作的權限。")


class NotFoundError(DomainError):
    code = "not_found"
    default_message = _("找不到指定的資料。")


class ValidationFailed(DomainError):
    code = "invalid"
    default_message = _("資料格式不正確。")


def add_to_form(form, exc: DomainError) -> None:
    """Show a domain error on the form field it names, or above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))
