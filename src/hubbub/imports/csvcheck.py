"""Checking the rows of a CSV import: every cell, every image, and every target's own rules.
No row is accepted until all of them are checked; problems name the row and column."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.accounts.services import profile_for
from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for, find_connection
from hubbub.imports import csvfile, images
from hubbub.imports.archive import ImageArchive, MemberProblem
from hubbub.imports.csvtimes import read_time
from hubbub.networks.base import Draft, MediaFile
from hubbub.publishing.target_drafts import validate_for_targets

MAX_IMAGES_PER_ROW = 10
_SPLIT_TARGETS = re.compile(r"[;|]")
_COLUMN_OF = {"too_long": "text", "empty": "text", "alt_missing": "alt", "alt_too_long": "alt",
              "media_size": "images", "media_type": "images", "too_many_media": "images"}


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


# --- one row at a time -------------------------------------------------------------------


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
