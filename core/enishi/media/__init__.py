"""The media library (メディア): images and videos stored once and sent on LINE by URL.

Plugins use it through ``enishi.media``::

    from enishi import media

    asset = await media.add(ctx, content, "coupon.png")   # converted for LINE; MediaRefused if it cannot be
    message = media.line_message(ctx.settings, asset)     # {"type": "image", "originalContentUrl": …, …}
    asset = await media.find(ctx, asset_id)               # None in another workspace

Files live in the storage backend the settings choose (:mod:`enishi.media.storage`) and are served at
``<public URL>/media/<unguessable name>`` (or ``ENISHI_MEDIA_PUBLIC_URL``), which is what LINE fetches.
"""

from enishi.media.library import MediaUrls, add, by_urls, find, line_message, remove, urls
from enishi.media.limits import MediaRefused
from enishi.models.media import MediaAsset

__all__ = ["MediaAsset", "MediaRefused", "MediaUrls", "add", "by_urls", "find", "line_message", "remove", "urls"]
