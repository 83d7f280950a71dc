"""core.widgets write the same HTML as Django's widget templates: compared with the template
rendering itself (`forms.Widget.render`) for selects, inputs, escaping and the record pages'
filter form bound to the queries they receive."""

from __future__ import annotations

import pytest
from django import forms
from django.http import QueryDict
from django.utils.safestring import mark_safe

from inservice.core import widgets


def _both(widget, name, value, attrs=None):
    return widget.render(name, value, attrs), forms.Widget.render(widget, name, value, attrs)


NASTY = "a<b>&\"c'"


@pytest.mark.parametrize("value", [None, "", "x", "2", NASTY, ["x"]])
def test_select_matches_the_template(value):
    widget = widgets.Select(
        attrs={"class": "wide", "data-x": NASTY, "disabled": True, "hidden": False},
        choices=[
            ("", "（不限）"),
            ("x", "甲 <乙>"),
            (2, 2),
            (NASTY, mark_safe("<em>safe</em>")),
            ("group", [("g1", "一"), ("g2", NASTY)]),
        ],
    )
    fast, template = _both(widget, "kind", value, {"id": "id_kind"})
    assert fast == template


def test_empty_select_matches_the_template():
    fast, template = _both(widgets.Select(choices=[]), "empty", None)
    assert fast == template


@pytest.mark.parametrize(
    "widget",
    [
        widgets.TextInput(attrs={"maxlength": 100}),
        widgets.NumberInput(attrs={"min": 39, "max": 289, "required": True}),
        widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    ],
)
@pytest.mark.parametrize("value", [None, "", "2024-01-02", NASTY, 113])
def test_inputs_match_the_template(widget, value):
    fast, template = _both(widget, "field", value, {"id": "id_field"})
    assert fast == template


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "",
        "source=online&sort=hours",
        "tag=gender-equality&category=5-2&by=year",
        "q=%3Cscript%3E%22&sy=113&from=2024-01-01&to=2024-12-31",
        "year=abc&sy=99999&tag=nope&from=2020-01-01&to=2010-01-01&sort=bogus",
    ],
)
def test_record_filter_form_renders_as_with_the_templates(query):
    from inservice.records.forms_pages import RecordFilterForm

    form = RecordFilterForm(QueryDict(query))
    form.is_valid()
    for name in form.fields:
        bound = form[name]
        widget = bound.field.widget
        assert isinstance(widget, (widgets.Select, widgets.FastInputMixin)), name
        attrs = bound.build_widget_attrs({})
        attrs.setdefault("id", bound.auto_id)  # as BoundField.as_widget does
        fast = str(bound)
        template = forms.Widget.render(widget, bound.html_name, bound.value(), attrs)
        assert fast == template, name


def test_the_widgets_write_their_html_without_the_template_engine():
    """The point of core.widgets: no widget template is rendered (an input once fell back
    to its template whenever its class named text.html or date.html rather than input.html,
    with the same output and none of the speed)."""
    from django.test.signals import template_rendered

    seen = []

    def listener(sender, template, **kwargs):
        seen.append(template.name)

    template_rendered.connect(listener)
    try:
        forms.TextInput().render("f", "x")
        assert seen, "the stock widget renders its template (the listener works)"
        seen.clear()
        for widget in (
            widgets.TextInput(attrs={"maxlength": 100}),
            widgets.NumberInput(),
            widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            widgets.Select(choices=[("a", "甲")]),
        ):
            widget.render("f", "a", {"id": "id_f"})
    finally:
        template_rendered.disconnect(listener)
    assert seen == []
