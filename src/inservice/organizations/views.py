from django.http import HttpResponse

from inservice.core.access import public


@public
def directory(request):
    return HttpResponse("directory")
