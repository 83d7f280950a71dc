from django.shortcuts import render

from inservice.organizations.models import County

from .access import public


@public
def home(request):
    counties = County.objects.all()
    return render(request, "core/home.html", {"counties": counties})
