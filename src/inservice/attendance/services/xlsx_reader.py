"""A streaming reader for the first worksheet of an xlsx file, for large uploads.

It reads the parts it needs straight from the zip with expat, a chunk at a time, so memory
stays bounded whatever the number of rows: the shared strings (one copy of each distinct
string, packed as UTF-8) and one row at a time. Values come out as openpyxl's read-only,
data-only mode gives them: text (shared, inline, rich-text runs joined, phonetic runs left
out), int or float, bool, datetime for date-formatted numbers and ISO dates, the error
text (#N/A) for errors, None for an empty cell; formulas give their cached result.

Safety: XML with a DOCTYPE, entity declarations or external entities is refused (an xlsx
never needs them; the same rule as defusedxml); every part is read under a byte budget
checked while decompressing, so a zip bomb stops at the budget, not in memory; zips with
too many members are refused before the central directory is parsed.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
from array import array
from collections.abc import Iterator
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict
)
REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK = 64 * 1024
MAX_MEMBERS = 10_000
MAX_SMALL_PART = 16 * 1024 * 1024  # workbook, relationships, styles
MAX_PART = 512 * 1024 * 1024  # sheet and shared strings, uncompressed


class XlsxError(Exception):
    """The file is not a readable xlsx workbook. `kind`: not_xlsx, too_large or no_sheet."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        super().__init__(f"{kind}: {detail}" if detail else kind)


def _refuse_dtd(*_args):
    raise XlsxError("not_xlsx", "DTDs and entities are not allowed")


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    return parser


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _feed(archive: zipfile.ZipFile, name: str, parser, limit: int) -> Iterator[None]:
    """Parse member `name` a chunk at a time, yielding after each chunk."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise XlsxError("not_xlsx", f"missing part {name}") from None
    if info.file_size > limit:
        raise XlsxError("too_large", name)
    read = 0
    with archive.open(info) as member:
        while True:
            chunk = member.read(CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > limit:
                raise XlsxError("too_large", name)
            parser.Parse(chunk, False)
            yield
    parser.Parse(b"", True)
    yield


def _parse_all(archive, name, parser, limit=MAX_SMALL_PART) -> None:
    for _ in _feed(archive, name, parser, limit):
        pass


def _member_count(file) -> int | None:
    """Entries in the zip's central directory, from its end record (None if not found)."""
    file.seek(0, 2)
    size = file.tell()
    tail_size = min(size, 22 + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    return struct.unpack("<H", tail[at + 10 : at + 12])[0]


# --- package structure ----------------------------------------------------------------------


def _relationships(archive, name: str) -> dict[str, tuple[str, str]]:
    """rId → (type, absolute target) of a .rels part; {} when it is missing."""
    rels: dict[str, tuple[str, str]] = {}
    if name not in archive.NameToInfo:
        return rels
    base = posixpath.dirname(posixpath.dirname(name))

    def start(tag, attrs):
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(base, target))
            rels[attrs.get("Id", "")] = (attrs.get("Type", ""), target)

    parser = _parser()
    parser.StartElementHandler = start
    _parse_all(archive, name, parser)
    return rels


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _workbook(archive) -> tuple[str, list[str], bool]:
    """(workbook part, sheet relationship ids in order, date1904)."""
    workbook = "xl/workbook.xml"
    for rel_type, target in _relationships(archive, "_rels/.rels").values():
        if rel_type.endswith("/officeDocument"):
            workbook = target
            break
    sheets: list[str] = []
    date1904 = [False]

    def start(tag, attrs):
        local = _local(tag)
        if local == "sheet":
            for ns in REL_NS:
                rid = attrs.get(ns + " id")
                if rid:
                    sheets.append(rid)
                    break
        elif local == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

    parser = _parser()
    parser.StartElementHandler = start
    _parse_all(archive, workbook, parser)
    return workbook, sheets, date1904[0]


def _date_styles(archive, name: str | None) -> tuple[frozenset, frozenset]:
    """Style indexes (cellXfs) whose number format shows a date, and a duration."""
    if not name or name not in archive.NameToInfo:
        return frozenset(), frozenset()
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    where = []

    def start(tag, attrs):
        local = _local(tag)
        if local in ("numFmts", "cellXfs", "cellStyleXfs"):
            where.append(local)
        elif local == "numFmt" and where and where[-1] == "numFmts":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif local == "xf" and where and where[-1] == "cellXfs":
            try:
                xf_formats.append(int(attrs.get("numFmtId", 0)))
            except ValueError:
                xf_formats.append(0)

    def end(tag):
        if where and _local(tag) == where[-1]:
            where.pop()

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse_all(archive, name, parser)
    dates, durations = set(), set()
    for index, fmt_id in enumerate(xf_formats):
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
        if code and is_date_format(code):
            dates.add(index)
        if code and is_timedelta_format(code):
            durations.add(index)
    return frozenset(dates), frozenset(durations)


class SharedStrings:
    """The shared-string table, packed: one UTF-8 buffer and an offset per string."""

    def __init__(self):
        self._data = bytearray()
        self._ends = array("Q")

    def append(self, text: str) -> None:
        self._data += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        end = self._ends[index]  # IndexError for a reference past the table
        if index < 0:
            raise IndexError(index)
        start = self._ends[index - 1] if index else 0
        return self._data[start:end].decode("utf-8", "surrogatepass")


def _shared_strings(archive, name: str | None) -> SharedStrings:
    table = SharedStrings()
    if not name or name not in archive.NameToInfo:
        return table
    si, t, rph = {}, {}, {}
    for ns in MAIN_NS:
        si[f"{ns} si"], t[f"{ns} t"], rph[f"{ns} rPh"] = True, True, True
    parts: list[str] = []
    state = [False, 0]  # inside a text run; depth of phonetic runs

    def start(tag, _attrs):
        if tag in t:
            state[0] = not state[1]
        elif tag in si:
            parts.clear()
        elif tag in rph:
            state[1] += 1

    def end(tag):
        if tag in t:
            state[0] = False
        elif tag in si:
            table.append("".join(parts))
        elif tag in rph:
            state[1] -= 1

    def data(text):
        if state[0]:
            parts.append(text)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    _parse_all(archive, name, parser, MAX_PART)
    return table


# --- the sheet ------------------------------------------------------------------------------


def _column(ref: str) -> int:
    """1-based column of a cell reference such as 'AB12'."""
    column = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            column = column * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            column = column * 26 + ord(ch) - 96
        else:
            break
    if not column:
        raise ValueError(f"bad cell reference {ref!r}")
    return column


_C, _V, _T, _IS, _ROW, _RPH, _F = range(7)
_TAGS = {}
for _ns in MAIN_NS:
    for _name, _kind in (("c", _C), ("v", _V), ("t", _T), ("is", _IS), ("row", _ROW),
                         ("rPh", _RPH), ("f", _F)):  # fmt: skip
        _TAGS[f"{_ns} {_name}"] = _kind
_COLUMNS: dict[str, int] = {}
_DIGITS = "0123456789"


def _column_of(ref: str) -> int:
    letters = ref.rstrip(_DIGITS)
    column = _COLUMNS.get(letters)
    if column is None:
        column = _column(letters)
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = column
    return column


class _SheetParser:
    """expat handlers that turn <row>/<c> elements into (row number, cells, extras).

    The handlers run once per XML element of the sheet, so they are kept short: the most
    frequent elements (c, v) are tested first and text is gathered only inside <v> and
    inline-string <t> (never from formulas <f> or phonetic runs <rPh>)."""

    def __init__(self, width, strings, dates, durations, epoch):
        self.width = width
        self.strings = strings
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        self.done: list = []
        self.row_number = 0
        self.cells: list | None = None
        self.extras: list = []
        self.column = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.collect = False
        self.text = ""
        self.inline = 0
        self.phonetic = 0

    def start(self, tag, attrs):
        kind = _TAGS.get(tag)
        if kind == _C:
            if self.cells is None:
                raise ValueError("cell outside a row")
            ref = attrs.get("r")
            if ref:
                column = _COLUMNS.get(ref.rstrip(_DIGITS))  # _column_of, inline (hot)
                self.column = column if column is not None else _column_of(ref)
            else:
                self.column += 1
            self.cell_type = attrs.get("t", "n")
            style = attrs.get("s")
            self.cell_style = int(style) if style else 0
            self.text = ""
        elif kind == _V:
            self.collect = not self.inline
        elif kind == _IS:
            self.inline += 1
        elif kind == _T:
            self.collect = self.inline and not self.phonetic
        elif kind == _ROW:
            ref = attrs.get("r")
            number = int(ref) if ref else self.row_number + 1
            if number <= self.row_number:
                raise ValueError("rows out of order")
            self.row_number = number
            self.cells = [None] * self.width
            self.extras = []
            self.column = 0
        elif kind == _RPH:
            self.phonetic += 1

    def end(self, tag):
        kind = _TAGS.get(tag)
        if kind == _C:
            text = self.text
            cell_type = self.cell_type
            # The two string kinds inline (most cells), the others through _value.
            if cell_type == "inlineStr":
                value = text or None
            elif not text:
                return
            elif cell_type == "s":
                value = self.strings[int(text)]
            else:
                value = self._value()
            if value is not None:
                if self.column <= self.width:
                    self.cells[self.column - 1] = value
                else:
                    self.extras.append(value)
        elif kind == _V or kind == _T:
            self.collect = False
        elif kind == _IS:
            self.inline -= 1
        elif kind == _ROW:
            cells = self.cells
            if self.extras or cells.count(None) != len(cells):
                self.done.append((self.row_number, cells, self.extras))
            self.cells = None
        elif kind == _RPH:
            self.phonetic -= 1

    def data(self, text):
        if self.collect:
            self.text += text

    def _value(self):
        kind = self.cell_type
        raw = self.text
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "inlineStr":
            return raw or None
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            if self.cell_style in self.dates:
                try:
                    return from_excel(
                        number, self.epoch, timedelta=self.cell_style in self.durations
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "str" (a formula's text) and "e" (an error such as #N/A)


def iter_rows(file, width: int) -> Iterator[tuple[int, list, list]]:
    """(row number, cells, extras) for every row of the first worksheet with a value.

    `cells` holds columns 1..width (None where empty or missing); `extras` the values of
    the row's cells beyond `width`. Rows come in sheet order with their own numbers (rows
    the sheet leaves out are skipped). Raises XlsxError for a file that is not an xlsx or
    has no worksheet; expat and value errors for a damaged sheet, part way through.
    """
    try:
        file.seek(0)
        if not zipfile.is_zipfile(file):
            raise XlsxError("not_xlsx", "not a zip file")
        count = _member_count(file)
        if count is not None and count > MAX_MEMBERS:
            raise XlsxError("not_xlsx", "too many members")
        file.seek(0)
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise XlsxError("not_xlsx", str(exc)) from None
    with archive:
        if len(archive.infolist()) > MAX_MEMBERS:
            raise XlsxError("not_xlsx", "too many members")
        try:
            workbook, sheet_ids, date1904 = _workbook(archive)
            rels = _relationships(archive, _rels_name(workbook))
        except (expat.ExpatError, ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError("not_xlsx", str(exc)) from None
        sheet = None
        for rid in sheet_ids:
            rel_type, target = rels.get(rid, ("", ""))
            if rel_type.endswith("/worksheet"):
                sheet = target
                break
        if sheet is None:
            raise XlsxError("no_sheet")
        by_type = {rel_type.rpartition("/")[2]: target for rel_type, target in rels.values()}
        try:
            strings = _shared_strings(archive, by_type.get("sharedStrings"))
            dates, durations = _date_styles(archive, by_type.get("styles"))
        except (expat.ExpatError, ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError("not_xlsx", str(exc)) from None
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        handler = _SheetParser(width, strings, dates, durations, epoch)
        parser = _parser()
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        done = handler.done
        for _ in _feed(archive, sheet, parser, MAX_PART):
            if done:
                yield from done
                done.clear()
