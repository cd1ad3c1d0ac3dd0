"""Where the media library's files live: a directory under the data dir, or S3-compatible object storage.

Both are object stores of the ``obstore`` library (one interface, async, with the S3 signing and retries it
does well); this module only chooses one from the settings and names the few operations the library uses.

    ENISHI_MEDIA_S3_BUCKET             the bucket; unset keeps files in ``<data dir>/media-library``
    ENISHI_MEDIA_S3_ENDPOINT           e.g. https://<account>.r2.cloudflarestorage.com (unset: AWS)
    ENISHI_MEDIA_S3_REGION             e.g. ap-northeast-1
    ENISHI_MEDIA_S3_ACCESS_KEY_ID / ENISHI_MEDIA_S3_SECRET_ACCESS_KEY   (unset: the usual AWS environment)
    ENISHI_MEDIA_S3_PREFIX             a folder inside the bucket
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

import obstore
from obstore.store import LocalStore, S3Store

from enishi.settings import Settings, SettingsError


class MediaStorage(Protocol):
    """The operations the media library needs from a storage backend."""

    async def put(self, name: str, content: bytes, content_type: str) -> None: ...

    async def get(self, name: str) -> bytes | None:
        """The object's bytes, None when there is no such object."""
        ...

    async def delete(self, name: str) -> None:
        """Remove the object; removing one that is gone is not an error."""
        ...


class ObjectStorage:
    """A :class:`MediaStorage` over any obstore store."""

    def __init__(self, store: Any, description: str) -> None:
        self.store = store
        self.description = description

    async def put(self, name: str, content: bytes, content_type: str) -> None:
        await obstore.put_async(self.store, name, content, attributes={"Content-Type": content_type})

    async def get(self, name: str) -> bytes | None:
        try:
            result = await obstore.get_async(self.store, name)
        except FileNotFoundError:  # obstore's NotFoundError is one
            return None
        return bytes(await result.bytes_async())

    async def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self.store, name)


def storage_from_settings(settings: Settings) -> ObjectStorage:
    extra = settings.extra
    bucket = extra.get("ENISHI_MEDIA_S3_BUCKET", "").strip()
    if not bucket:
        directory = settings.data_dir / "media-library"
        # Local files carry no attributes: the names' extensions say the types when they are served.
        return _LocalStorage(LocalStore(directory, mkdir=True), f"directory {directory}")
    config: dict[str, Any] = {}
    for key, env in (
        ("endpoint", "ENISHI_MEDIA_S3_ENDPOINT"),
        ("region", "ENISHI_MEDIA_S3_REGION"),
        ("access_key_id", "ENISHI_MEDIA_S3_ACCESS_KEY_ID"),
        ("secret_access_key", "ENISHI_MEDIA_S3_SECRET_ACCESS_KEY"),
    ):
        if extra.get(env, "").strip():
            config[key] = extra[env].strip()
    endpoint = config.get("endpoint", "")
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise SettingsError("ENISHI_MEDIA_S3_ENDPOINT", "must be an http(s):// URL")
    prefix = extra.get("ENISHI_MEDIA_S3_PREFIX", "").strip().strip("/") or None
    store = S3Store(
        bucket,
        prefix=prefix,
        client_options={"allow_http": endpoint.startswith("http://")},
        **config,
    )
    return ObjectStorage(store, f"bucket {bucket}")


class _LocalStorage(ObjectStorage):
    async def put(self, name: str, content: bytes, content_type: str) -> None:
        await obstore.put_async(self.store, name, content)
