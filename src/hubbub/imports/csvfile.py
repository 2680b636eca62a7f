"""Reading an uploaded CSV file into rows, refusing what is not a CSV file we understand.

No database here: bytes in, named cells out, or a FileProblem that says what to change.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_CELL = 20_000  # characters in one cell; far above any network's limit
REQUIRED = ("text", "time", "targets")
OPTIONAL = ("content_warning", "images", "alt")
# Names people reach for, read as ours.
ALIASES = {
    "cw": "content_warning",
    "content warning": "content_warning",
    "image": "images",
    "alt_text": "alt",
    "alt text": "alt",
    "target": "targets",
    "accounts": "targets",
}
DELIMITERS = (",", ";", "\t")


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class Row:
    number: int  # the row as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]
    problem: str = ""  # the row's shape is wrong (too many cells, a huge cell)


def decode(data: bytes) -> str:
    """UTF-8 text (with or without a byte order mark), or a FileProblem saying what it is."""
    if not data.strip():
        raise FileProblem("The file is empty.")
    if len(data) > MAX_BYTES:
        raise FileProblem(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; a CSV file can be at most "
            f"{MAX_BYTES // 1024 // 1024} MB ({MAX_ROWS} rows). Split it into smaller files."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem(
            "The file is saved as UTF-16. Save it as \"CSV UTF-8\" (in Excel: Save As, "
            "CSV UTF-8) and upload it again."
        )
    if data.startswith((b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) or (
        b"\x00" in data[:4096]
    ):
        raise FileProblem(
            "This is not a CSV file (it looks like a binary file, such as a spreadsheet, "
            "zip or image). Export the sheet as \"CSV UTF-8\" and upload that."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"The file is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02x}, "
            "which UTF-8 does not allow there; perhaps it is saved as Windows-1252 or "
            "Latin-1). Save it as \"CSV UTF-8\" and upload it again."
        ) from None
    if "\x00" in text:
        raise FileProblem("The file contains NUL characters; it is not a text file.")
    return text


def _column_name(raw: str) -> str:
    name = raw.strip().strip("\ufeff").lower()
    name = ALIASES.get(name, name)
    return name.replace(" ", "_")


def _header(cells: list[str]) -> list[str] | None:
    """The column names if these cells look like our header, else None."""
    names = [_column_name(c) for c in cells]
    if not set(REQUIRED) <= set(names):
        return None
    return names


def _delimiter(text: str) -> str:
    """The separator the header line uses: comma, semicolon (Excel in many European
    locales) or tab. Decided from the header, whose names we know."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if _header(cells) is not None:
            return delimiter
    expected = ", ".join(REQUIRED + OPTIONAL)
    raise FileProblem(
        f"The first line must name the columns: {expected} (the last three may be left out). "
        f"It says: {first[:120]!r}."
    )


def read_rows(data: bytes) -> list[Row]:
    """Every data row, with cells named by the header; blank rows are skipped."""
    text = decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    names: list[str] = []
    try:
        for index, cells in enumerate(reader, start=1):
            if not names:
                if not any(c.strip() for c in cells):
                    continue  # blank lines before the header
                names = _check_header(cells)
                header_index = index
                continue
            if not any(c.strip() for c in cells):
                continue
            number = index - header_index + 1
            if len(rows) >= MAX_ROWS:
                raise FileProblem(
                    f"The file has more than {MAX_ROWS} rows. Split it into files of at most "
                    f"{MAX_ROWS} rows."
                )
            rows.append(_row(names, cells, number))
    except csv.Error as exc:
        raise FileProblem(
            f"The file is not valid CSV near line {reader.line_num}: {exc}. "
            "Check for a stray quote mark."
        ) from None
    if not rows:
        raise FileProblem("The file has a header but no rows to import.")
    return rows


def _check_header(cells: list[str]) -> list[str]:
    names = _header(cells)
    if names is None:
        raise FileProblem(
            f"The first line must name the columns: {', '.join(REQUIRED)} are needed."
        )
    known = set(REQUIRED + OPTIONAL)
    unknown = [raw for raw, name in zip(cells, names, strict=True) if name and name not in known]
    if unknown:
        raise FileProblem(
            f"Unknown column {unknown[0]!r}. The columns are: "
            f"{', '.join(REQUIRED + OPTIONAL)}."
        )
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise FileProblem(f"The column {name!r} appears twice in the header.")
        seen.add(name)
    return names


def _row(names: list[str], cells: list[str], number: int) -> Row:
    named = {name: value for name, value in zip(names, cells, strict=False) if name}
    full = {name: named.get(name, "") for name in REQUIRED + OPTIONAL}
    if any(c.strip() for c in cells[len(names):]):
        return Row(number, full, f"The row has {len(cells)} cells but the header names "
                                 f"{len(names)} columns. A text with a comma in it must be in "
                                 "double quotes.")
    for name, value in named.items():
        if len(value) > MAX_CELL:
            return Row(number, full, f"The {name} cell is over {MAX_CELL} characters long.")
    return Row(number, full)
