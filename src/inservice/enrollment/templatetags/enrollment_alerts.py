"""`{% star_button course %}`: the 收藏追蹤 toggle for a course page (teachers only)."""

from django import template

from ..models import Favourite

register = template.Library()


@register.inclusion_tag("enrollment/alerts/_star.html", takes_context=True)
def star_button(context, course):
    request = context["request"]
    user = request.user
    teacher = getattr(user, "teacher", None) if user.is_authenticated else None
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "course": course,
        "starred": teacher is not None
        and Favourite.objects.filter(teacher=teacher, course=course).exists(),
        "hidden": teacher is None,
    }
