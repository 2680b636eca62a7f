"""CSV import: every row is checked against every target's rules first (csvcheck); then all
rows become posts in one transaction, or none do. The file and its zip are kept between the
check and the import, so the person sees every post before confirming; the import checks all
rows again (time moves on, accounts change) and takes the upload by compare-and-set, so a
second click imports nothing. Times: see csvtimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import IO

from django.contrib.auth.models import User
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from hubbub.imports import csvfile, images
from hubbub.imports.archive import ArchiveProblem, ImageArchive
from hubbub.imports.csvcheck import CheckResult, PlannedPost, RowProblem, check_rows
from hubbub.imports.models import CsvImport, CsvImportState
from hubbub.publishing.media import NewMedia, prepare_media
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.services import PostError, create_from

__all__ = ["AlreadyImported", "CheckResult", "ImportRefused", "RowProblem", "prune_abandoned",
           "recheck", "run_import", "start_import"]


class ImportRefused(Exception):
    """The file cannot be imported as it is; `problems` say where and why."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


class AlreadyImported(Exception):
    """This file was imported already (a second click, another tab)."""


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
        # Read and re-encode the images before the transaction: slow work must not hold it.
        media = _prepare_media(result.posts, archive)
        try:
            posts = _create_all(batch, result.posts, media, stored_files)
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


def _prepare_media(planned: Sequence[PlannedPost], archive: ImageArchive | None
                   ) -> list[list[NewMedia]]:
    """Each row's images read and cleaned (prepare_media), each zip member once however many
    rows name it, with each row's own alt text."""
    ready: dict[str, NewMedia] = {}
    media: list[list[NewMedia]] = []
    for plan in planned:
        row = []
        for image in plan.images:
            if image.member not in ready:
                assert archive is not None  # a row with images was checked against the zip
                data = archive.read(image.member)
                upload = images.as_upload(image.member, data, image.info.mime_type)
                try:
                    ready[image.member] = prepare_media([NewMedia(upload, "")])[0]
                except PostError as exc:
                    raise ImportRefused([RowProblem(plan.row, "images", str(exc))]) from None
            row.append(replace(ready[image.member], alt_text=image.info.alt_text))
        media.append(row)
    return media


@transaction.atomic
def _create_all(batch: CsvImport, planned: Sequence[PlannedPost], media: Sequence[list[NewMedia]],
                stored_files: list[str]) -> list[Post]:
    won = CsvImport.objects.filter(pk=batch.pk, state=CsvImportState.CHECKED).update(
        state=CsvImportState.IMPORTED, imported_at=timezone.now(), zip_file="")
    if not won:
        raise AlreadyImported
    posts: list[Post] = []
    for plan, row_media in zip(planned, media, strict=True):
        try:
            post = create_from(batch.user, Outgoing(
                text=plan.text, targets=tuple(plan.connections),
                content_warning=plan.content_warning, media=tuple(row_media),
                scheduled_for=plan.when, tz=batch.timezone))
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
