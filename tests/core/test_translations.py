"""The English catalogue: every message translated, nothing fuzzy, placeholders preserved, and
the file compiles cleanly with msgfmt."""

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

PO_PATH = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"

# Python %-format conversions: %(name)s, %(n)d, %s, %5.2f ...; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and not self.obsolete


def parse_po(path: Path) -> list[Entry]:
    """A small PO parser: enough for the files makemessages writes (no msgctxt in this project,
    but it is tolerated)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None

    def start() -> Entry:
        nonlocal entry
        if entry is None:
            entry = Entry()
            entries.append(entry)
        return entry

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):
            start().obsolete = True
            continue
        if line.startswith("#,"):
            start().flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, literal = match.groups()
            current = start()
            text = ast.literal_eval(literal)
            if keyword == "msgid":
                current.msgid = text
                target = ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural = text
                target = ("msgid_plural", None)
            elif keyword == "msgctxt":
                target = ("msgctxt", None)
            else:
                n = int(index) if index is not None else 0
                current.msgstr[n] = text
                target = ("msgstr", n)
            continue
        assert line.startswith('"') and target is not None, f"unexpected line: {raw!r}"
        text = ast.literal_eval(line)
        current = start()
        kind, n = target
        if kind == "msgid":
            current.msgid += text
        elif kind == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        elif kind == "msgstr":
            current.msgstr[n] += text
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), PO_PATH
    parsed = [e for e in parse_po(PO_PATH) if not e.obsolete]
    assert parsed and parsed[0].is_header
    return parsed[1:]


def test_catalogue_is_not_empty(entries):
    assert len(entries) > 100


def test_no_untranslated_entries(entries):
    untranslated = [
        e.msgid for e in entries if not e.msgstr or any(not s.strip() for s in e.msgstr.values())
    ]
    assert untranslated == []


def test_plural_entries_have_both_forms(entries):
    incomplete = [
        e.msgid for e in entries if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1]
    ]
    assert incomplete == []


def test_no_fuzzy_entries(entries):
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []


def test_python_format_placeholders_preserved(entries):
    mismatched = []
    for e in entries:
        if "python-format" not in e.flags:
            continue
        for n, translated in e.msgstr.items():
            source = e.msgid if n == 0 or e.msgid_plural is None else e.msgid_plural
            if placeholders(source) != placeholders(translated):
                mismatched.append((e.msgid, translated))
    assert mismatched == []


def test_surrounding_whitespace_preserved(entries):
    def edges(text: str) -> tuple[str, str]:
        return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]

    mismatched = [
        e.msgid for e in entries if any(edges(s) != edges(e.msgid) for s in e.msgstr.values())
    ]
    assert mismatched == []


def test_msgfmt_accepts_catalogue(tmp_path):
    # gettext is installed by scripts/bootstrap.sh; its absence is a failure, not a skip.
    assert shutil.which("msgfmt"), "msgfmt missing: install the gettext package"
    mo = tmp_path / "django.mo"
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check-format", "--statistics", "-o", str(mo), str(PO_PATH)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr

    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext("帳號") == "Account"
    assert catalogue.gettext("全國教師在職進修資訊網") == "Teacher In-Service Training Network"
    one = "有 %(counter)s 件申請等待您審核。"
    assert catalogue.ngettext(one, one, 1) % {"counter": 1} == (
        "1 application is awaiting your review."
    )
    assert catalogue.ngettext(one, one, 3) % {"counter": 3} == (
        "3 applications are awaiting your review."
    )
