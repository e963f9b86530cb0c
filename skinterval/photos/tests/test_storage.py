"""The photo folder is private: a start-up check refuses one inside a served
folder, and stored names are the application's own."""

from __future__ import annotations

import re

from skinterval.photos.storage import check_photo_dir_not_served, new_storage_name


def test_the_default_photo_folder_is_not_served(settings):
    assert check_photo_dir_not_served() == []
    assert "private-media" in str(settings.SKINTERVAL_PHOTO_DIR) or (
        "skinterval-test-photos" in str(settings.SKINTERVAL_PHOTO_DIR)
    )


def test_a_photo_folder_inside_static_or_media_is_an_error(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "static" / "photos"
    assert [e.id for e in check_photo_dir_not_served()] == ["photos.E001"]

    settings.STATIC_ROOT = tmp_path / "elsewhere"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "media"
    assert [e.id for e in check_photo_dir_not_served()] == ["photos.E001"]

    settings.MEDIA_ROOT = ""
    settings.STATICFILES_DIRS = [("vendor/x", tmp_path / "media" / "x")]
    assert check_photo_dir_not_served() == []
    settings.STATICFILES_DIRS = [tmp_path]
    assert [e.id for e in check_photo_dir_not_served()] == ["photos.E001"]


def test_stored_names_are_random_and_name_no_folder_above():
    names = {new_storage_name() for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", name)
        assert name.startswith(name.split("/")[-1][:2] + "/")
