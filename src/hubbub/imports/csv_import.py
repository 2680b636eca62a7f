"""CSV import: every row checked against every target's rules first; then all rows become
posts in one transaction, or none do.

The time column is required: a row without a time is refused, never posted at once and never
guessed. It is a local date and time in the person's zone (2026-12-01 09:30) or ISO-8601 with
an offset (2026-12-01T09:30+01:00), and must be in the future. A local time the clocks skip
(a DST gap) is refused; one they pass twice (a fold) means the first, as in the composer, and
the preview says so; an offset picks either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from typing import IO
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from hubbub.accounts.services import profile_for
from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for, find_connection
from hubbub.core.localtime import fold_at, occurrences, to_utc
from hubbub.imports import csvfile, images
from hubbub.imports.archive import ArchiveProblem, ImageArchive, MemberProblem
from hubbub.imports.models import CsvImport, CsvImportState
from hubbub.networks.base import Draft, MediaFile
from hubbub.publishing.models import Post
from hubbub.publishing.services import NewMedia, PostError, create_post, validate_for_targets

MAX_IMAGES_PER_ROW = 10
_SPLIT_TARGETS = re.compile(r"[;|]")
_TIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_COLUMN_OF = {"too_long": "text", "empty": "text", "alt_missing": "alt", "alt_too_long": "alt",
              "media_size": "images", "media_type": "images", "too_many_media": "images"}


class ImportRefused(Exception):
    """The file cannot be imported as it is; `problems` say where and why."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


class AlreadyImported(Exception):
    """This file was imported already (a second click, another tab)."""


@dataclass(frozen=True)
class RowProblem:
    row: int  # 0: the file as a whole
    column: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class PlannedImage:
    member: str
    info: MediaFile


@dataclass(frozen=True)
class PlannedPost:
    row: int
    text: str
    content_warning: str
    when: datetime
    connections: tuple[Connection, ...]
    images: tuple[PlannedImage, ...]
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "row": self.row, "when": self.when.isoformat(), "text": self.text,
            "content_warning": self.content_warning,
            "targets": [{"handle": c.handle, "network": c.network} for c in self.connections],
            "images": [{"name": i.member, "alt": i.info.alt_text} for i in self.images],
            "note": self.note,
        }


@dataclass
class CheckResult:
    posts: list[PlannedPost] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- one cell at a time ---------------------------------------------------------------------------


def parse_time(value: str, zone: str, now: datetime) -> datetime:
    """An aware UTC datetime from a time cell; ValueError with a message fit to show."""
    return read_time(value, zone, now)[0]


def read_time(value: str, zone: str, now: datetime) -> tuple[datetime, str]:
    """The instant a time cell names, and a note when a local time happens twice."""
    text = value.strip()
    example = f"2026-12-01 09:30 (in {zone}), or with an offset: 2026-12-01T09:30+01:00"
    if not text:
        raise ValueError(f"Give a date and time, e.g. {example}. A row without a time is "
                         "not imported.")
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text[:40]!r} is not a date and time we read; write e.g. {example}.")
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    try:
        day_part = date(year, month, day)
        clock = time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date or time ({exc}).") from None
    offset = match.group(7)
    note = ""
    if offset is None:
        try:
            when = to_utc(day_part, clock, zone)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        change = fold_at(day_part, clock, zone)
        if change is not None:
            earlier, later = occurrences(day_part, clock, zone)[:2]
            note = (f"{clock:%H:%M} happens twice that night ({change.describe()}): the first, "
                    f"{earlier.label}, is used. Write {later.offset} after the time for the "
                    "second.")
    else:
        when = datetime.combine(day_part, clock, tzinfo=_offset(offset)).astimezone(UTC)
    if when <= now:
        local_now = now.astimezone(ZoneInfo(zone))
        raise ValueError(f"{text} has passed (it is {local_now:%Y-%m-%d %H:%M} in {zone} now). "
                         "Only times in the future are imported.")
    return when, note


def _offset(text: str) -> dt_timezone:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(f"{text} is not a time zone offset.")
    return dt_timezone(sign * timedelta(hours=hours, minutes=minutes))


def _targets(user: User, cell: str, known: dict[str, Connection | None]) -> tuple[
        list[Connection], list[str]]:
    found: list[Connection] = []
    errors: list[str] = []
    refs = [r.strip() for r in _SPLIT_TARGETS.split(cell) if r.strip()]
    if not refs:
        return [], ["Name at least one account: its id or handle (as on the Connections page), "
                    "several separated by ; or |."]
    for ref in refs:
        if ref not in known:
            match = find_connection(user, ref)
            # One instance per account for the whole file, so its limits are read once.
            same = [c for c in known.values() if c is not None and match is not None
                    and c.pk == match.pk]
            known[ref] = same[0] if same else match
        connection = known[ref]
        if connection is None:
            errors.append(f"No connected account of yours is {ref!r}.")
            continue
        if connection not in found:
            found.append(connection)
    return found, errors


# --- the whole file ---------------------------------------------------------------------------


@dataclass
class _Checker:
    user: User
    zone: str
    archive: ImageArchive | None
    now: datetime
    connections: dict[str, Connection | None] = field(default_factory=dict)
    media: dict[str, MediaFile | str] = field(default_factory=dict)
    require_alt: bool = True

    def image(self, wanted: str) -> tuple[str, MediaFile]:
        if self.archive is None:
            raise MemberProblem(f"{wanted} is named, but no zip of images was uploaded.")
        member = self.archive.find(wanted)
        if member not in self.media:
            try:
                self.media[member] = images.inspect(member, self.archive.read(member))
            except MemberProblem as exc:
                self.media[member] = str(exc)
        found = self.media[member]
        if isinstance(found, str):
            raise MemberProblem(found)
        return member, found

    def row(self, row: csvfile.Row, result: CheckResult) -> None:
        problems: list[RowProblem] = []

        def add(column: str, message: str) -> None:
            problems.append(RowProblem(row.number, column, message))

        if row.problem:
            result.problems.append(RowProblem(row.number, "", row.problem))
            return
        cells = row.cells
        text = cells["text"].replace("\r\n", "\n").strip()
        warning = cells["content_warning"].strip()
        when: datetime | None = None
        note = ""
        try:
            when, note = read_time(cells["time"], self.zone, self.now)
        except ValueError as exc:
            add("time", str(exc))
        connections, target_errors = _targets(self.user, cells["targets"], self.connections)
        for message in target_errors:
            add("targets", message)
        planned_images = self._images(cells["images"], cells["alt"], add)
        if not text and not planned_images:
            add("text", "The text is empty (and the row has no image).")
        draft = Draft(text=text, content_warning=warning,
                      media=tuple(p.info for p in planned_images))
        for connection in connections:
            _prime(connection)
        checked = validate_for_targets(draft, connections)
        for connection in connections:
            for problem in checked[connection.pk].problems:
                if problem.code in ("empty", "alt_missing"):
                    continue  # said once above, not once per account
                add(_COLUMN_OF.get(problem.code, "text"), f"{connection.handle}: {problem.message}")
        if problems or when is None:
            result.problems.extend(problems)
            return
        result.posts.append(PlannedPost(row.number, text, warning, when, tuple(connections),
                                        tuple(planned_images), note))

    def _images(self, names_cell: str, alt_cell: str,
                add: Callable[[str, str], None]) -> list[PlannedImage]:
        names = [n.strip() for n in names_cell.split(";") if n.strip()]
        alts = [a.strip() for a in alt_cell.split(";")] if alt_cell.strip() else []
        if not names:
            if alts:
                add("alt", "There is alt text but no image.")
            return []
        if len(names) > MAX_IMAGES_PER_ROW:
            add("images", f"{len(names)} images; at most {MAX_IMAGES_PER_ROW} are read per row.")
            return []
        if len(alts) > len(names):
            add("alt", f"{len(alts)} alt texts for {len(names)} image(s); separate them with ;")
        planned: list[PlannedImage] = []
        for index, name in enumerate(names):
            alt = alts[index] if index < len(alts) else ""
            if not alt and self.require_alt:
                add("alt", f"{name} has no alt text. Describe each image for people who cannot "
                           "see it (alt texts in the same order as the images, separated by ;).")
            try:
                member, info = self.image(name)
            except MemberProblem as exc:
                add("images", str(exc))
                continue
            planned.append(PlannedImage(member, MediaFile(
                path=member, mime_type=info.mime_type, alt_text=alt, size=info.size,
                width=info.width, height=info.height)))
        return planned


def _prime(connection: Connection) -> None:
    """Read the account's limits once per import, not once per row (capabilities_for only
    refreshes the row's cache in the database, not on the instance in hand)."""
    if getattr(connection, "_import_primed", False):
        return
    caps = capabilities_for(connection)
    connection.capabilities_json = caps.to_json()
    connection.capabilities_fetched_at = timezone.now()
    connection._import_primed = True  # type: ignore[attr-defined]


def check_rows(user: User, rows: Sequence[csvfile.Row], archive: ImageArchive | None,
               zone: str, now: datetime | None = None) -> CheckResult:
    checker = _Checker(user, zone, archive, now or timezone.now(),
                       require_alt=profile_for(user).require_alt_text)
    result = CheckResult()
    for row in rows:
        checker.row(row, result)
    return result


# --- stored imports ---------------------------------------------------------------------------


def start_import(*, user: User, filename: str, data: bytes, zip_upload: File[bytes] | None,
                 zone: str) -> CsvImport:
    """Read the file and the zip; store them and the problems found. Raises FileProblem or
    ArchiveProblem when a file as a whole cannot be read (nothing is stored then)."""
    rows = csvfile.read_rows(data)
    archive = ImageArchive.open(zip_upload) if zip_upload is not None else None
    try:
        result = check_rows(user, rows, archive, zone)
    finally:
        if archive is not None:
            archive.close()
    batch = CsvImport(user=user, filename=filename[:255], csv_text=data.decode("utf-8-sig"),
                      timezone=zone, row_count=len(rows),
                      problems=[p.as_json() for p in result.problems],
                      preview=[p.as_json() for p in result.posts] if result.ok else [])
    if zip_upload is not None:
        zip_upload.seek(0)
        batch.zip_name = (zip_upload.name or "images.zip")[:255]
        batch.zip_file.save("images.zip", zip_upload, save=False)
    batch.save()
    return batch


def _open_archive(batch: CsvImport) -> ImageArchive | None:
    if not batch.zip_file:
        return None
    handle: IO[bytes] = batch.zip_file.open("rb")
    try:
        return ImageArchive.open(handle)
    except ArchiveProblem:
        handle.close()
        raise


def recheck(batch: CsvImport) -> CheckResult:
    """Check a stored file again, as it will be imported (times move on; accounts change)."""
    rows = csvfile.read_rows(batch.csv_text.encode())
    archive = _open_archive(batch)
    try:
        return check_rows(batch.user, rows, archive, batch.timezone)
    finally:
        if archive is not None:
            archive.close()


def run_import(batch: CsvImport) -> list[Post]:
    """Create every row's post in one transaction, after checking all rows again.

    Raises ImportRefused (nothing created; the problems are stored on the import) or
    AlreadyImported."""
    if batch.state != CsvImportState.CHECKED:
        raise AlreadyImported
    rows = csvfile.read_rows(batch.csv_text.encode())
    archive = _open_archive(batch)
    stored_files: list[str] = []
    try:
        result = check_rows(batch.user, rows, archive, batch.timezone)
        if not result.ok:
            _save_problems(batch, result.problems)
            raise ImportRefused(result.problems)
        try:
            posts = _create_all(batch, result.posts, archive, stored_files)
        except BaseException:
            # The rows are rolled back; the image files create_post stored are not.
            for name in stored_files:
                default_storage.delete(name)
            raise
    finally:
        if archive is not None:
            archive.close()
    if batch.zip_file:
        batch.zip_file.delete(save=False)
    return posts


def _save_problems(batch: CsvImport, problems: Sequence[RowProblem]) -> None:
    batch.problems = [p.as_json() for p in problems]
    CsvImport.objects.filter(pk=batch.pk).update(problems=batch.problems)


@transaction.atomic
def _create_all(batch: CsvImport, planned: Sequence[PlannedPost], archive: ImageArchive | None,
                stored_files: list[str]) -> list[Post]:
    won = CsvImport.objects.filter(pk=batch.pk, state=CsvImportState.CHECKED).update(
        state=CsvImportState.IMPORTED, imported_at=timezone.now(), zip_file="")
    if not won:
        raise AlreadyImported
    posts: list[Post] = []
    for plan in planned:
        media = []
        for image in plan.images:
            assert archive is not None  # a row with images was checked against the zip
            data = archive.read(image.member)
            media.append(NewMedia(images.as_upload(image.member, data, image.info.mime_type),
                                  image.info.alt_text))
        try:
            post = create_post(user=batch.user, text=plan.text, connections=plan.connections,
                               content_warning=plan.content_warning, media=media,
                               scheduled_for=plan.when, tz=batch.timezone)
        except PostError as exc:
            raise ImportRefused([RowProblem(plan.row, "", str(exc))]) from None
        stored_files.extend(m.file.name for m in post.media.all() if m.file.name)
        posts.append(post)
    post_ids = [p.pk for p in posts]
    CsvImport.objects.filter(pk=batch.pk).update(post_ids=post_ids, problems=[])
    batch.state = CsvImportState.IMPORTED
    batch.post_ids = post_ids
    return posts


def prune_abandoned(keep: timedelta = timedelta(days=1)) -> int:
    """Uploads checked but never imported are removed (and their zips) after a day."""
    old = CsvImport.objects.filter(state=CsvImportState.CHECKED,
                                   created_at__lt=timezone.now() - keep)
    count = 0
    for batch in old:
        if batch.zip_file:
            batch.zip_file.delete(save=False)
        batch.delete()
        count += 1
    return count
