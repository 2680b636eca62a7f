"""CSV import: every row checked against every target before anything is accepted; all rows or
none; malformed files and zips refused with a clear message."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.disconnect import disconnect
from hubbub.connections.models import Connection
from hubbub.imports import archive, csv_import, csvfile, csvtimes
from hubbub.imports.archive import ArchiveProblem, ImageArchive
from hubbub.imports.csvfile import FileProblem
from hubbub.imports.models import CsvImport, CsvImportState
from hubbub.publishing.models import Delivery, Post, PostMedia
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.services import create_from
from tests.imports.conftest import account, csv_bytes, make_zip, png

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NEXT_YEAR = timezone.now().year + 1


def _last_sunday(month: int) -> date:
    day = date(NEXT_YEAR, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


DST_GAP = f"{_last_sunday(3)} 02:30"  # Europe/Berlin springs forward at 02:00
DST_FOLD = f"{_last_sunday(10)} 02:30"  # and falls back at 03:00: 02:30 happens twice
LATER = f"{NEXT_YEAR}-06-01"


def _start(user: User, data: bytes, zip_data: bytes | None = None) -> CsvImport:
    upload = SimpleUploadedFile("images.zip", zip_data) if zip_data is not None else None
    return csv_import.start_import(user=user, filename="plan.csv", data=data,
                                   zip_upload=upload, zone="Europe/Berlin")


def _problems(batch: CsvImport) -> set[tuple[int, str]]:
    return {(p["row"], p["column"]) for p in batch.problems}


# --- rows ----------------------------------------------------------------------------------------


def test_mixed_file_reports_exactly_the_bad_rows_and_creates_nothing(
        owner: User, other: User, masto: Connection, sky: Connection) -> None:
    theirs = account(other, "mastodon", "@mallory@masto.example")
    both = f"{masto.handle};{sky.handle}"
    zip_data = make_zip({"cat.png": png(), "photos/dog.png": png(color="brown"),
                         "notes.txt": b"not an image"})
    data = csv_bytes(
        ["Good one", f"{LATER} 09:00", both, "", "", ""],                        # 2
        ["No time", "", both, "", "", ""],                                       # 3 time
        ["Who?", f"{LATER} 10:00", f"{masto.handle}|@nobody@else.example", "", "", ""],  # 4
        ["x" * 301, f"{LATER} 11:00", both, "", "", ""],                         # 5 text (bsky)
        ["Missing file", f"{LATER} 12:00", both, "", "bird.png", "A bird"],      # 6 images
        ["No alt", f"{LATER} 13:00", both, "", "cat.png", ""],                   # 7 alt
        ["Gap", DST_GAP, both, "", "", ""],                                      # 8 time
        ["Past", "2020-01-01 09:00", both, "", "", ""],                          # 9 time
        ["Text file", f"{LATER} 14:00", masto.handle, "", "notes.txt", "Notes"], # 10 images
        ["Not mine", f"{LATER} 15:00", str(theirs.pk), "", "", ""],              # 11 targets
        ["Good too", f"{LATER}T16:00+02:00", masto.handle, "CW", "dog.png", "A dog"],  # 12
        ["Bad date", "01/06/2027 09:00", both, "", "", ""],                      # 13 time
    )
    batch = _start(owner, data, zip_data)

    assert _problems(batch) == {
        (3, "time"), (4, "targets"), (5, "text"), (6, "images"), (7, "alt"), (8, "time"),
        (9, "time"), (10, "images"), (11, "targets"), (13, "time"),
    }
    messages = {p["row"]: p["message"] for p in batch.problems}
    assert sky.handle in messages[5]
    assert "over the limit of 300" in messages[5]
    assert "@nobody@else.example" in messages[4]
    assert "bird.png is not in the zip" in messages[6]
    assert "does not exist" in messages[8]
    assert "clocks go forward" in messages[8]
    assert "has passed" in messages[9]
    assert "not an image" in messages[10]
    assert batch.preview == []
    assert Post.objects.count() == 0
    with pytest.raises(csv_import.ImportRefused):
        csv_import.run_import(batch)
    assert Post.objects.count() == 0
    assert CsvImport.objects.get(pk=batch.pk).state == CsvImportState.CHECKED


def test_good_file_creates_every_post_with_its_time_targets_and_images(
        owner: User, masto: Connection, sky: Connection) -> None:
    zip_data = make_zip({"Photos/cat.png": png(), "dog.png": png(color="brown")})
    data = csv_bytes(
        ["First, with a comma", f"{LATER} 09:00", f"{masto.handle} ; {sky.handle}", "", "", ""],
        ["Second", f"{LATER}T09:00:00Z", str(masto.pk), "spoilers", "cat.png;dog.png",
         "An orange cat; A brown dog"],
        ["Third\nwith two lines", DST_FOLD, sky.handle.upper(), "", "photos/cat.png", "Cat"],
        ["", f"{LATER} 18:45", "@ada", "", "dog.png", "Only an image"],
    )
    batch = _start(owner, data, zip_data)
    assert batch.problems == []
    assert [p["row"] for p in batch.preview] == [2, 3, 4, 5]

    posts = csv_import.run_import(batch)

    assert len(posts) == Post.objects.count() == 4
    first, second, third, fourth = (Post.objects.get(pk=p.pk) for p in posts)
    assert first.text == "First, with a comma"
    assert first.scheduled_for == datetime(NEXT_YEAR, 6, 1, 7, 0, tzinfo=UTC)  # CEST = UTC+2
    assert first.timezone == "Europe/Berlin"
    assert {d.connection_id for d in first.deliveries.all()} == {masto.pk, sky.pk}
    assert second.scheduled_for == datetime(NEXT_YEAR, 6, 1, 9, 0, tzinfo=UTC)
    assert second.content_warning == "spoilers"
    media = list(second.media.all())
    assert [(m.alt_text, m.mime_type, m.width) for m in media] == [
        ("An orange cat", "image/png", 8), ("A brown dog", "image/png", 8)]
    assert all(Path(m.file.path).exists() for m in media)
    # A time the clocks pass twice means the first of the two (summer time, UTC+2).
    fold_day = _last_sunday(10)
    assert third.scheduled_for == datetime(fold_day.year, fold_day.month, fold_day.day, 0, 30,
                                           tzinfo=UTC)
    assert third.text == "Third\nwith two lines"
    assert [d.connection_id for d in third.deliveries.all()] == [sky.pk]
    assert fourth.text == ""
    assert fourth.media.count() == 1
    assert [d.connection_id for d in fourth.deliveries.all()] == [masto.pk]
    batch.refresh_from_db()
    assert batch.state == CsvImportState.IMPORTED
    assert sorted(batch.post_ids) == sorted(p.pk for p in posts)
    assert not batch.zip_file  # the posts keep their own copies of the images


def test_importing_twice_creates_the_posts_once(owner: User, masto: Connection) -> None:
    batch = _start(owner, csv_bytes(["Once", f"{LATER} 09:00", masto.handle, "", "", ""]))
    csv_import.run_import(batch)
    stale = CsvImport.objects.get(pk=batch.pk)
    stale.state = CsvImportState.CHECKED  # another tab that still shows the preview
    with pytest.raises(csv_import.AlreadyImported):
        csv_import.run_import(stale)
    assert Post.objects.count() == 1


def test_rows_are_checked_again_when_imported(owner: User, masto: Connection,
                                              sky: Connection) -> None:
    batch = _start(owner, csv_bytes(["Hello", f"{LATER} 09:00", sky.handle, "", "", ""],
                                    ["Hi", f"{LATER} 10:00", masto.handle, "", "", ""]))
    assert batch.problems == []
    disconnect(sky)
    with pytest.raises(csv_import.ImportRefused) as refused:
        csv_import.run_import(batch)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "targets")]
    assert Post.objects.count() == 0
    assert CsvImport.objects.get(pk=batch.pk).problems[0]["row"] == 2


def test_a_failure_half_way_leaves_no_posts_and_no_files(
        owner: User, masto: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_data = make_zip({"a.png": png(), "b.png": png()})
    batch = _start(owner, csv_bytes(
        ["One", f"{LATER} 09:00", masto.handle, "", "a.png", "A"],
        ["Two", f"{LATER} 10:00", masto.handle, "", "b.png", "B"],
        ["Three", f"{LATER} 11:00", masto.handle, "", "", ""],
    ), zip_data)
    real = create_from
    calls: list[int] = []

    def flaky(user: User, outgoing: Outgoing) -> Post:
        calls.append(1)
        if len(calls) == 3:
            raise csv_import.PostError("the database hiccuped")
        return real(user, outgoing)

    monkeypatch.setattr(csv_import, "create_from", flaky)
    media_dir = Path(settings.MEDIA_ROOT) / "posts"
    before = set(media_dir.rglob("*"))
    with pytest.raises(csv_import.ImportRefused) as refused:
        csv_import.run_import(batch)
    assert refused.value.problems[0].row == 4
    assert Post.objects.count() == Delivery.objects.count() == PostMedia.objects.count() == 0
    assert len(calls) == 3  # two posts with images were made, then rolled back
    assert {p for p in media_dir.rglob("*") if p.is_file()} <= before
    assert CsvImport.objects.get(pk=batch.pk).state == CsvImportState.CHECKED


def test_local_and_offset_times(owner: User) -> None:
    now = datetime(NEXT_YEAR, 1, 1, tzinfo=UTC)
    parse = csvtimes.parse_time
    assert parse(f"{NEXT_YEAR}-01-15 9:05", "Europe/Berlin", now) == datetime(
        NEXT_YEAR, 1, 15, 8, 5, tzinfo=UTC)
    assert parse(f"{NEXT_YEAR}-01-15T09:05:30-05:00", "Europe/Berlin", now) == datetime(
        NEXT_YEAR, 1, 15, 14, 5, 30, tzinfo=UTC)
    assert parse(f"{NEXT_YEAR}-01-15 09:05 +0530", "UTC", now) == datetime(
        NEXT_YEAR, 1, 15, 3, 35, tzinfo=UTC)
    for bad in ("", "tomorrow", f"{NEXT_YEAR}-02-30 09:00", f"{NEXT_YEAR}-01-15",
                f"{NEXT_YEAR}-01-15 25:00", f"{NEXT_YEAR}-01-15 09:00+19:00"):
        with pytest.raises(ValueError, match=r"."):
            parse(bad, "Europe/Berlin", now)
    # New York springs forward on the second Sunday of March: 02:30 does not exist.
    march = date(NEXT_YEAR, 3, 1)
    second_sunday = march + timedelta(days=(6 - march.weekday()) % 7 + 7)
    with pytest.raises(ValueError, match="clocks go forward"):
        parse(f"{second_sunday} 02:30", "America/New_York", now)


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"   \r\n\r\n", "empty"),
    (make_zip({"[Content_Types].xml": b"<xml/>"}), "not a CSV file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a CSV file"),
    (b"text,time\r\nhello,2030-01-01 09:00\r\n", "must name the columns"),
    (b"Hello world,2030-01-01 09:00,@ada\r\n", "must name the columns"),
    (b"text,time,targets,colour\r\nhi,2030-01-01 09:00,@ada,red\r\n", "Unknown column 'colour'"),
    (b"text,time,targets,text\r\nhi,2030-01-01 09:00,@ada,x\r\n", "appears twice"),
    (b"text,time,targets\r\n", "no rows"),
    ("text,time,targets\r\ncaf\u00e9,2030-01-01 09:00,@ada\r\n".encode("latin-1"),
     r"not UTF-8 text \(line 2"),
    ("text,time,targets\r\nhi,2030-01-01 09:00,@ada\r\n".encode("utf-16"), "UTF-16"),
    (b'text,time,targets\r\n"unclosed,2030-01-01 09:00,@ada\r\n', "not valid CSV"),
])
def test_malformed_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(FileProblem, match=message):
        csvfile.read_rows(data)


def test_bom_semicolons_aliases_and_blank_lines_are_read() -> None:
    data = ("\ufefftext;Time;Targets;CW\r\n\r\n\"Hi; there\";2030-01-01 09:00;"
            "\"@a;@b\";spoiler\r\n").encode()
    rows = csvfile.read_rows(data)
    assert len(rows) == 1
    assert rows[0].number == 3  # the blank line is row 2, as a spreadsheet counts
    assert rows[0].cells["text"] == "Hi; there"
    assert rows[0].cells["targets"] == "@a;@b"
    assert rows[0].cells["content_warning"] == "spoiler"
    assert rows[0].cells["images"] == ""


def test_a_row_with_too_many_cells_is_reported_on_its_row(owner: User,
                                                          masto: Connection) -> None:
    data = (f"text,time,targets\r\nHello, world,{LATER} 09:00,{masto.handle}\r\n"
            f"Fine,{LATER} 10:00,{masto.handle}\r\n").encode()
    batch = _start(owner, data)
    assert _problems(batch) == {(2, "")}
    assert "double quotes" in batch.problems[0]["message"]


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3)
    rows = [["hi", "2030-01-01 09:00", "@a", "", "", ""]] * 4
    with pytest.raises(FileProblem, match="more than 3 rows"):
        csvfile.read_rows(csv_bytes(*rows))
    assert len(csvfile.read_rows(csv_bytes(*rows[:3]))) == 3


# --- zips ----------------------------------------------------------------------------------------


def _open(data: bytes) -> ImageArchive:
    import io

    return ImageArchive.open(io.BytesIO(data))


def test_zip_bomb_is_refused_by_ratio() -> None:
    bomb = make_zip({"big.png": b"\x00" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(ArchiveProblem, match="zip bomb"):
        _open(bomb)


def test_zip_too_large_unpacked_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ArchiveProblem, match="unpacks to more than"):
        _open(make_zip({"a.png": png(200, 200), "b.png": png(201, 200)},
                       compression=zipfile.ZIP_STORED))


def test_zip_member_over_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 50)
    with pytest.raises(ArchiveProblem, match="unpacked"):
        _open(make_zip({"a.png": png()}))


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png",
                                  "C:/evil.png", "a\\..\\evil.png"])
def test_path_traversal_names_refuse_the_zip(name: str) -> None:
    with pytest.raises(ArchiveProblem, match="unsafe name"):
        _open(make_zip({"ok.png": png(), name: png()}))


def test_not_a_zip_and_too_many_members(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ArchiveProblem, match="not a zip"):
        _open(b"PK\x03\x04 but then garbage")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 2)
    with pytest.raises(ArchiveProblem, match="at most 2"):
        _open(make_zip({"a.png": png(), "b.png": png(), "c.png": png()}))


def test_zip_names_and_junk(owner: User) -> None:
    found = _open(make_zip({"__MACOSX/._a.png": b"junk", "x/a.png": png(), "y/a.png": png(),
                            "Cat.PNG": png(), ".DS_Store": b"junk"}))
    assert found.find("cat.png") == "Cat.PNG"
    assert found.find("x/a.png") == "x/a.png"
    with pytest.raises(archive.MemberProblem, match="several files"):
        found.find("a.png")
    with pytest.raises(archive.MemberProblem, match="not in the zip"):
        found.find(".DS_Store")


def test_images_without_a_zip_and_broken_images(owner: User, masto: Connection) -> None:
    truncated = png(64, 64)[:60]
    batch = _start(owner, csv_bytes(
        ["a", f"{LATER} 09:00", masto.handle, "", "a.png", "A"],
    ))
    assert batch.problems[0]["message"].startswith("a.png is named, but no zip")
    batch = _start(owner, csv_bytes(
        ["a", f"{LATER} 09:00", masto.handle, "", "broken.png", "A"],
        ["b", f"{LATER} 10:00", masto.handle, "", "fake.png", "B"],
        ["c", f"{LATER} 11:00", masto.handle, "", "", "An alt for nothing"],
        ["d", f"{LATER} 12:00", masto.handle, "", "ok.png", "One;Two"],
    ), make_zip({"broken.png": truncated, "fake.png": b"GIF89a nope", "ok.png": png()}))
    assert _problems(batch) == {(2, "images"), (3, "images"), (4, "alt"), (5, "alt")}


# --- pages ---------------------------------------------------------------------------------------


def test_upload_report_fix_and_import_through_the_pages(client_in: Client, owner: User,
                                                        masto: Connection) -> None:
    bad = csv_bytes(["Fine", f"{LATER} 09:00", masto.handle, "", "", ""],
                    ["Oops", f"{LATER} 10:00", "@ghost", "", "", ""])
    response = client_in.post(reverse("imports:csv"), {
        "csv_file": SimpleUploadedFile("plan.csv", bad, "text/csv")})
    assert response.status_code == 302
    html = client_in.get(response["Location"]).content.decode()
    assert "Nothing was imported." in html
    assert "1 of 2 rows needs a change" in html
    assert "No connected account of yours is &#x27;@ghost&#x27;." in html
    assert Post.objects.count() == 0

    good = bad.replace(b"@ghost", masto.handle.encode())
    response = client_in.post(reverse("imports:csv"), {
        "csv_file": SimpleUploadedFile("plan.csv", good, "text/csv")})
    detail = response["Location"]
    html = client_in.get(detail).content.decode()
    assert "Import 2 posts" in html
    assert Post.objects.count() == 0
    batch = CsvImport.objects.get(pk=int(detail.rstrip("/").rsplit("/", 1)[1]))
    response = client_in.post(reverse("imports:csv_confirm", args=[batch.pk]), follow=True)
    assert "2 posts scheduled" in response.content.decode()
    assert Post.objects.count() == 2
    client_in.post(reverse("imports:csv_confirm", args=[batch.pk]))
    assert Post.objects.count() == 2


def test_upload_errors_for_whole_files(client_in: Client, masto: Connection) -> None:
    response = client_in.post(reverse("imports:csv"), {
        "csv_file": SimpleUploadedFile("plan.csv", b"\x00\x01\x02binary", "text/csv")})
    assert response.status_code == 400
    assert "This is not a CSV file" in response.content.decode()
    response = client_in.post(reverse("imports:csv"), {
        "csv_file": SimpleUploadedFile("plan.csv", csv_bytes(["a", f"{LATER} 09:00", "@ada",
                                                               "", "", ""])),
        "images": SimpleUploadedFile("images.zip", make_zip({"../x.png": png()}))})
    assert response.status_code == 400
    assert "unsafe name" in response.content.decode()
    assert CsvImport.objects.count() == 0


def test_other_peoples_imports_are_not_found(client_in: Client, other: User) -> None:
    theirs = CsvImport.objects.create(user=other, filename="x.csv", csv_text="text,time,targets")
    assert client_in.get(reverse("imports:csv_detail", args=[theirs.pk])).status_code == 404
    assert client_in.post(reverse("imports:csv_confirm", args=[theirs.pk])).status_code == 404


def test_sample_file_reads_back_as_valid(client_in: Client, owner: User,
                                         masto: Connection) -> None:
    response = client_in.get(reverse("imports:csv_sample"))
    assert response["Content-Type"].startswith("text/csv")
    rows = csvfile.read_rows(response.content)
    assert rows[0].cells["targets"] == masto.handle


def test_the_sample_file_imports_as_it_is(client_in: Client, owner: User, masto: Connection,
                                          sky: Connection) -> None:
    """Downloaded and uploaded again untouched, with no zip of images, it imports whole."""
    sample = client_in.get(reverse("imports:csv_sample")).content
    response = client_in.post(reverse("imports:csv"), {
        "csv_file": SimpleUploadedFile("hubbub-import.csv", sample, "text/csv")})
    assert response.status_code == 302, response.content.decode()
    batch = CsvImport.objects.get()
    assert batch.problems == []
    response = client_in.post(reverse("imports:csv_confirm", args=[batch.pk]), follow=True)
    assert "2 posts scheduled" in response.content.decode()
    assert Post.objects.count() == 2


def test_abandoned_uploads_are_pruned(owner: User) -> None:
    old = CsvImport.objects.create(user=owner, filename="x.csv", csv_text="")
    CsvImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = CsvImport.objects.create(user=owner, filename="y.csv", csv_text="")
    assert csv_import.prune_abandoned() == 1
    assert list(CsvImport.objects.values_list("pk", flat=True)) == [fresh.pk]
