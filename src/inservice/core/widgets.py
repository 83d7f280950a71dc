"""Form widgets that write the same HTML as Django's templates, in Python.

Django renders every widget, and every <option> of a select, through the template engine
(select.html includes select_option.html, which includes attrs.html): a filter form with
five selects and 45 options took ~7 ms a request on the record pages, more than their
SQL. These widgets produce the identical markup (tests compare them with the templates)
and fall back to the templates when a subclass sets its own template.
"""

from __future__ import annotations

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}`: always escaped, even a string marked safe."""
    return escape(value)


def _label(value) -> str:
    """`{{ value }}`: localized, escaped unless marked safe."""
    return conditional_escape(localize(value))


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_text(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


# Django's input widgets' own templates: each only includes input.html.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html" for name in ("input", "text", "number", "date")
)


class FastInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name not in _INPUT_TEMPLATES:
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        value_html = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
        return mark_safe(  # noqa: S308 - every part escaped
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{value_html}'
            f"{attrs_html(widget['attrs'])}>"
        )


class TextInput(FastInputMixin, forms.TextInput):
    pass


class NumberInput(FastInputMixin, forms.NumberInput):
    pass


class DateInput(FastInputMixin, forms.DateInput):
    pass


class Select(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        if (
            self.template_name != "django/forms/widgets/select.html"
            or self.option_template_name != "django/forms/widgets/select_option.html"
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        # Each included option keeps its template's trailing newline.
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>'
        ]
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_label(group_name)}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{_text(option["value"])}"'
                    f"{attrs_html(option['attrs'])}>{_label(option['label'])}"
                    "</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped
