from django.http import HttpResponse

from inservice.core.access import public


@public
def taxonomy(request):
    return HttpResponse("taxonomy")
