"""What the composer says of an attached video (the slot, the per-account panel and the
preview show a description instead of a picture): from the slot's description, which the page
writes and the server rewrites after reading the file. Shown only, never trusted."""

from __future__ import annotations

import pytest

from hubbub.publishing.live import slot_videos
from hubbub.publishing.preview import video_label


@pytest.mark.parametrize(("meta", "label"), [
    ("video/mp4;1000;1280;720;240;30", "Video · 4:00 · 1280 x 720"),
    ("video/quicktime;1000;720;1280;59.6;30", "Video · 1:00 · 720 x 1280"),
    ("video/mp4;1000;0;0;0;0", "Video"),  # picked, not yet read by the server
    ("video/webm;1000;640;360;3725;25", "Video · 1:02:05 · 640 x 360"),
    ("video/mp4;1000;640;360", "Video · 640 x 360"),
    ("video/mp4;x;nan;inf;-5;0", "Video"),  # nonsense from a page: nothing made of it
    ("video/mp4;1;1e400;2;1e12;0", "Video"),
    ("image/png;1000;1280;720", ""),
    ("", ""),
    ("video", ""),
])
def test_video_label(meta: str, label: str) -> None:
    assert video_label(meta) == label


def test_slot_videos_names_only_kept_video_slots() -> None:
    data = {"meta_1": "image/jpeg;10;10;10", "meta_2": "video/mp4;10;640;360;12;30",
            "meta_3": "video/mp4;10;640;360;12;30", "drop_3": "on", "meta_4": ""}
    assert slot_videos(data) == {2: "Video · 0:12 · 640 x 360"}
