"""The zip of images that goes with a CSV file: opened carefully, never extracted to disk.

Refused whole: a file that is not a zip, too many members, member names that try to leave
the archive (../, absolute paths, drive letters), encrypted members, and anything whose
uncompressed size (declared or actual) or compression ratio says zip bomb. Images are read
into memory one at a time, each capped, when a row names them.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO

MAX_MEMBERS = 1000
MAX_MEMBER_BYTES = 25 * 1024 * 1024  # one image, uncompressed
MAX_TOTAL_BYTES = 300 * 1024 * 1024  # everything in the zip, uncompressed
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# Folders and files zip tools add on their own; never images a person meant.
_JUNK = ("__MACOSX/",)


class ArchiveProblem(ValueError):
    """The zip as a whole is refused; the message says why."""


class MemberProblem(ValueError):
    """One image a row names cannot be used; the message says why."""


def _unsafe(name: str) -> bool:
    if "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return True
    return any(part == ".." for part in name.split("/"))


def _normal(name: str) -> str:
    return unicodedata.normalize("NFC", posixpath.normpath(name.strip().lstrip("./")))


@dataclass
class ImageArchive:
    """The images in an uploaded zip, found by the names the CSV gives."""

    zf: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    by_base: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def open(cls, fileobj: IO[bytes]) -> ImageArchive:
        try:
            zf = zipfile.ZipFile(fileobj)
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise ArchiveProblem("The images file is not a zip file we can read.") from None
        if len(infos) > MAX_MEMBERS:
            raise ArchiveProblem(
                f"The zip holds {len(infos)} files; at most {MAX_MEMBERS} are accepted."
            )
        archive = cls(zf)
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe(name):
                raise ArchiveProblem(
                    f"The zip holds a file with an unsafe name ({name[:100]!r}): names may not "
                    "start with / or a drive letter, or contain .. or backslashes. Make the "
                    "zip again from a folder of images."
                )
            if info.is_dir() or name.startswith(_JUNK) or posixpath.basename(name).startswith("."):
                continue
            if info.flag_bits & 0x1:
                raise ArchiveProblem(f"{name} in the zip is encrypted; zip it without a password.")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ArchiveProblem(
                    f"{name} in the zip is {info.file_size / 1024 / 1024:.0f} MB unpacked; an "
                    f"image can be at most {MAX_MEMBER_BYTES // 1024 // 1024} MB."
                )
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise ArchiveProblem(
                    f"{name} in the zip unpacks to more than {MAX_RATIO} times its packed size; "
                    "that is not an image (a zip bomb?)."
                )
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise ArchiveProblem(
                    f"The zip unpacks to more than {MAX_TOTAL_BYTES // 1024 // 1024} MB; split "
                    "the import into smaller files."
                )
            key = _normal(name)
            archive.members[key] = info
            archive.by_base.setdefault(posixpath.basename(key).casefold(), []).append(key)
        return archive

    def find(self, wanted: str) -> str:
        """The member a CSV cell names: by its path in the zip, else by its file name alone
        (when only one file has it; case does not matter). Raises MemberProblem."""
        key = _normal(wanted)
        if key in self.members:
            return key
        matches = self.by_base.get(posixpath.basename(key).casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise MemberProblem(f"{wanted} matches several files in the zip "
                                f"({', '.join(matches[:3])}); give its folder too.")
        raise MemberProblem(f"{wanted} is not in the zip.")

    def read(self, key: str) -> bytes:
        """A member's bytes, never more than the cap even if its header lies."""
        info = self.members[key]
        try:
            with self.zf.open(info) as handle:
                data = handle.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
                NotImplementedError) as exc:
            raise MemberProblem(f"{key} cannot be unpacked ({exc}).") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise MemberProblem(f"{key} is larger than {MAX_MEMBER_BYTES // 1024 // 1024} MB.")
        return data

    def close(self) -> None:
        self.zf.close()
