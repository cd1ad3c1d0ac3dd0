"""The storage backends: the directory by default, S3-compatible storage when a bucket is configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from obstore.store import MemoryStore

from enishi.media.storage import ObjectStorage, storage_from_settings
from enishi.settings import SettingsError
from enishi.testing.app import settings_for


async def test_objects_are_written_read_and_deleted_with_their_type() -> None:
    # obstore's in-memory store keeps attributes as S3 does, so the typed path is the one S3 takes.
    storage = ObjectStorage(MemoryStore(), "memory")
    await storage.put("k.png", b"png", "image/png")
    assert await storage.get("k.png") == b"png"
    await storage.delete("k.png")
    assert await storage.get("k.png") is None
    await storage.delete("k.png")  # deleting what is gone is not an error


async def test_the_default_is_a_folder_in_the_data_directory(tmp_path: Path) -> None:
    storage = storage_from_settings(settings_for(tmp_path))
    await storage.put("a.jpg", b"jpeg", "image/jpeg")
    assert (tmp_path / "media-library" / "a.jpg").read_bytes() == b"jpeg"
    assert await storage.get("missing.jpg") is None


def test_a_bucket_setting_chooses_s3_compatible_storage(tmp_path: Path) -> None:
    storage = storage_from_settings(
        settings_for(
            tmp_path,
            ENISHI_MEDIA_S3_BUCKET="shop-media",
            ENISHI_MEDIA_S3_ENDPOINT="http://127.0.0.1:9000",
            ENISHI_MEDIA_S3_REGION="ap-northeast-1",
            ENISHI_MEDIA_S3_ACCESS_KEY_ID="key",
            ENISHI_MEDIA_S3_SECRET_ACCESS_KEY="secret",
            ENISHI_MEDIA_S3_PREFIX="enishi/",
        )
    )
    assert storage.description == "bucket shop-media"
    assert type(storage.store).__name__ == "S3Store"
    assert storage.store.prefix == "enishi"
    with pytest.raises(SettingsError, match="ENISHI_MEDIA_S3_ENDPOINT"):
        storage_from_settings(settings_for(tmp_path, ENISHI_MEDIA_S3_BUCKET="b", ENISHI_MEDIA_S3_ENDPOINT="minio:9000"))
