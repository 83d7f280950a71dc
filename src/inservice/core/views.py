from django.shortcuts import render

from inservice.organizations.models import County

from .access import public


@public
def home(request):
    counties = County.objects.all()
    return render(request, "core/home.html", {"counties": counties})


@public
def course_search(request):
    """The keyword box on every page lands here; the course catalogue fills it in."""
    return render(request, "core/course_search.html", {"q": request.GET.get("q", "")[:100]})
