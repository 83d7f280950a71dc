"""`{% calendar_links registration as cal %}`: the Google Calendar link, its QR code (SVG)
and the download URLs, for `enrollment/calendar/_links.html`."""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from ..services import calendar

register = template.Library()


@register.simple_tag
def calendar_links(registration):
    url = calendar.google_calendar_url(registration.course)
    return {
        "google_url": url,
        # segno draws only paths (no text from the course), so the SVG is safe to inline.
        "qr_svg": mark_safe(calendar.qr_svg(url)),  # noqa: S308
        "ics_url": reverse("enrollment:registration_ics", args=[registration.pk]),
        "qr_png_url": reverse("enrollment:registration_qr", args=[registration.pk]),
    }
