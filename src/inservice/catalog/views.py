"""Public reference pages: the taxonomy of 附件五, the code tables and tags, and 課程性質."""

from django.shortcuts import render
from django.utils import timezone

from inservice.core.access import public

from . import codes, selectors
from .models import TeacherStage


@public
def taxonomy(request):
    requested = request.GET.get("stage", "")
    stage = requested if requested in TeacherStage.values else TeacherStage.KINDERGARTEN
    return render(
        request,
        "catalog/taxonomy.html",
        {
            "stages": TeacherStage.choices,
            "stage": stage,
            "stage_label": TeacherStage(stage).label,
            "unknown_stage": bool(requested) and requested != stage,
            "categories": [
                {
                    "node": category,
                    "areas": [a for a in category.children if a.children],
                    "leaf_areas": [a for a in category.children if not a.children],
                }
                for category in selectors.taxonomy_tree(stage)
            ],
        },
    )


@public
def code_tables(request):
    today = timezone.localdate()
    tables = [
        {
            "key": table,
            "number": codes.field_number(table),
            "title": codes.title(table),
            "entries": [(e, e.is_valid_on(today)) for e in codes.all_entries(table)],
        }
        for table in codes.TABLES
    ]
    tags = [(t, t.is_valid_on(today)) for t in selectors.all_tags()]
    return render(request, "catalog/codes.html", {"tables": tables, "tags": tags})


@public
def subject_table(request):
    stages = selectors.curriculum_stages()
    codes_by_stage = {s.code: s for s in stages}
    requested = request.GET.get("stage", "")
    stage = codes_by_stage.get(requested) or (stages[0] if stages else None)
    groups = []
    if stage is not None:
        for domain in selectors.domains(stage.code):
            groups.append((domain, selectors.subjects(stage.code, domain=domain.code)))
    return render(
        request,
        "catalog/subjects.html",
        {
            "stages": stages,
            "stage": stage,
            "unknown_stage": bool(requested) and requested not in codes_by_stage,
            "groups": groups,
        },
    )
