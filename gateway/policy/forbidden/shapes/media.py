"""Photos and videos written as values: the file's bytes in any common encoding, and the paths,
URIs and identifiers of media saved on the device.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: photos and videos saved on the customer's device are not collected. Bytes are recognised
by the file's first bytes (its magic number), so only the first few dozen are ever decoded.
"""

from __future__ import annotations

import binascii
import re
import zlib
from typing import Any
from urllib.parse import unquote

from gateway.policy.forbidden.vocabulary import CONTACTS, MEDIA, MESSAGE_CONTENT

Shape = tuple[str, str]  # (category, rule)
DATA_URI_MEDIA: Shape = (MEDIA, "value:data_uri")
DATA_URI_VCARD: Shape = (CONTACTS, "value:data_uri")
BASE64_MEDIA: Shape = (MEDIA, "value:base64_media")
MEDIA_BYTES: Shape = (MEDIA, "value:media_bytes")
HEX_MEDIA: Shape = (MEDIA, "value:hex_media")
MEDIA_PATH: Shape = (MEDIA, "value:media_path")
MULTIPART_MEDIA: Shape = (MEDIA, "value:multipart")
CONTACTS_URI: Shape = (CONTACTS, "value:contacts_uri")
MESSAGE_URI: Shape = (MESSAGE_CONTENT, "value:message_uri")
VCARD_FILE: Shape = (CONTACTS, "value:vcard")
MIN_BASE64_MEDIA = 48  # base64 shorter than this is a token, not a picture
MIN_HEX_MEDIA = 64
MEDIA_HEAD = 200  # an encoded file may follow a label ("image/jpeg;base64,") this far in

B64_PREFIXES = ("/9j/", "_9j_", "iVBORw0KG", "R0lGOD", "UklGR", "AAAA", "SUkqA", "TU0AK", "GkXf",
                "Qk")  # fmt: skip
_B64_AFTER_LABEL = re.compile(
    r"[,:;=\s](?:/9j/|iVBORw0KG|R0lGOD|UklGR|AAAA|SUkqA|TU0AK|GkXf|Qk|H4sI)[A-Za-z0-9+/=_-]{40}"
)
# First bytes of JPEG, PNG, GIF, WebP/AVI (RIFF), TIFF, BMP and an ISO-BMFF box size.
HEX_MEDIA_STARTS = frozenset({"ff", "89", "47", "52", "49", "4d", "42", "00", "0x"})
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_BMP_HEADERS = frozenset({12, 40, 52, 56, 64, 108, 124})
_MEDIA_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "avif", "dng", "raw", "tif", "tiff",
    "bmp", "mov", "mp4", "m4v", "3gp", "3g2", "avi", "mkv", "webm", "hevc",
})  # fmt: skip
_DEVICE_ROOTS = ("/storage/", "/sdcard/", "/mnt/", "/var/mobile/", "/private/var/mobile/",
                 "/data/user/", "/data/data/", "/dcim/", "file:")  # fmt: skip
_MEDIA_FOLDERS = ("/dcim/", "/pictures/", "/movies/", "/camera/", "/screenshots/", "/media/",
                  "/camera roll/", "/videos/")  # fmt: skip
_CONTENT_AUTHORITIES: tuple[tuple[str, Shape], ...] = (
    ("content://com.android.contacts", CONTACTS_URI), ("content://contacts", CONTACTS_URI),
    ("content://icc/adn", CONTACTS_URI), ("content://sms", MESSAGE_URI),
    ("content://mms", MESSAGE_URI), ("content://media", MEDIA_PATH),
)  # fmt: skip
_VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory")
# A Photos library asset's local identifier (PHAsset.localIdentifier): UUID/L0/001.
_PHOTOKIT_ID = re.compile(r"[0-9A-F]{8}(?:-[0-9A-F]{4}){3}-[0-9A-F]{12}/L0/\d{3}", re.I)
_WINDOWS_PATH = re.compile(r"[A-Za-z]:\\")
_MULTIPART_MEDIA = re.compile(r"content-type:\s*(?:image|video)/", re.I)


def media_magic(head: bytes) -> bool:
    """True when `head` starts a photo or video file: JPEG, PNG, GIF, WebP, AVI, TIFF/DNG,
    BMP, WebM/MKV, or an ISO-BMFF box (HEIC, AVIF, MP4, MOV, 3GP) that is not audio-only."""
    if head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n":
        return True
    if head[:6] in (b"GIF87a", b"GIF89a") or head[:4] in (b"II*\x00", b"MM\x00*", b"\x1aE\xdf\xa3"):
        return True
    if head[:4] == b"RIFF":
        return head[8:12] in (b"WEBP", b"AVI ")
    if head[:2] == b"BM" and len(head) >= 15:
        return head[6:10] == b"\x00\x00\x00\x00" and head[14] in _BMP_HEADERS
    if head[4:8] == b"ftyp":
        return head[8:12] not in _AUDIO_BRANDS
    return head[4:8] in (b"moov", b"mdat", b"wide")


def base64_media(text: str) -> Shape | None:
    """Base64 (standard or URL-safe, with or without line breaks) of a photo or video, or of
    one gzipped."""
    if len(text) < MIN_BASE64_MEDIA:
        return None
    if text.startswith("H4sI"):
        return BASE64_MEDIA if _gzipped_media(text) else None
    if not text.startswith(B64_PREFIXES):
        return None
    head = _decode_base64(text[:32])
    return BASE64_MEDIA if head is not None and media_magic(head) else None


def labelled_base64_media(text: str) -> Shape | None:
    """Base64 media after a label within the first 200 characters: `image/jpeg;base64,/9j/…`,
    `base64:/9j/…`, `photo=iVBOR…`."""
    match = _B64_AFTER_LABEL.search(text, 0, MEDIA_HEAD)
    return base64_media(text[match.start() + 1 :]) if match is not None else None


def percent_encoded_media(text: str) -> Shape | None:
    """Base64 media that was percent-encoded once more (`%2F9j%2F4AAQ…`)."""
    decoded = unquote(text[:MEDIA_HEAD])
    if decoded == text[:MEDIA_HEAD]:
        return None
    return base64_media(decoded) or labelled_base64_media(decoded)


def _decode_base64(chunk: str) -> bytes | None:
    chunk = chunk.replace("\n", "").replace("\r", "")
    if "-" in chunk or "_" in chunk:
        chunk = chunk.replace("-", "+").replace("_", "/")
    chunk = chunk[: len(chunk) // 4 * 4]
    try:
        return binascii.a2b_base64(chunk, strict_mode=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return None


def _gzipped_media(text: str) -> bool:
    raw = _decode_base64(text[:1368])
    if raw is None:
        return False
    try:
        head = zlib.decompressobj(wbits=31).decompress(raw, 32)
    except zlib.error:
        return False
    return media_magic(head)


def hex_media(text: str) -> Shape | None:
    """A photo or video written out as hex ("ffd8ffe0…", "0xffd8…", "ff d8 ff e0 …")."""
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    try:
        head = bytes.fromhex(text[:48])
    except ValueError:
        try:
            head = bytes.fromhex(text[:32])
        except ValueError:
            return None
    return HEX_MEDIA if media_magic(head) else None


def media_bytes(items: list[Any]) -> bool:
    """A JSON array of a file's bytes, unsigned or as Java's signed bytes (-1, -40, -1 …)."""
    head = items[:16]
    try:
        return media_magic(bytes(b & 0xFF if -128 <= b < 0 else b for b in head))
    except (TypeError, ValueError):
        return False


def data_uri(text: str) -> Shape | None:
    head = text[:40].lower()
    if not head.startswith("data:"):
        return None
    if head.startswith(("data:image/", "data:video/")):
        return DATA_URI_MEDIA
    if head[5:].startswith(_VCARD_TYPES):
        return DATA_URI_VCARD
    comma = text.find(",", 5, 200)  # a photo labelled application/octet-stream is a photo
    if comma > 0 and text[comma - 7 : comma].lower() == ";base64":
        return DATA_URI_MEDIA if base64_media(text[comma + 1 :]) is not None else None
    return None


def multipart_media(text: str) -> Shape | None:
    """A raw multipart/form-data body carrying an image or video part."""
    return MULTIPART_MEDIA if _MULTIPART_MEDIA.search(text, 0, 2048) is not None else None


def photokit_id(text: str) -> Shape | None:
    """`F2A9B3C1-…/L0/001`: an asset of the iOS Photos library, like `ph://` without scheme."""
    if len(text) == 43 and text[36:40] == "/L0/" and _PHOTOKIT_ID.fullmatch(text):
        return MEDIA_PATH
    return None


def device_path(text: str) -> Shape | None:
    """Paths and URIs of files on the phone: Android storage and MediaStore/contacts/SMS
    providers, iOS Photos (`ph://`, `assets-library://`), `file:` URLs and Windows paths to
    media files."""
    lower = text[:300].lower()
    if lower.startswith(("ph://", "ph-upload://", "assets-library://")):
        return MEDIA_PATH
    if lower.startswith("content://"):
        return _content_uri(lower)
    if lower.startswith(_DEVICE_ROOTS) or "/dcim/" in lower:
        return _media_file(lower)
    if _WINDOWS_PATH.match(text) is not None:
        return _media_file(lower.replace("\\", "/"))
    return None


def _content_uri(lower: str) -> Shape | None:
    for prefix, shape in _CONTENT_AUTHORITIES:
        if lower.startswith(prefix):
            return shape
    if "dcim" in lower or "photo" in lower or "image" in lower or "video" in lower:
        return MEDIA_PATH
    return _media_file(lower)


def _media_file(lower: str) -> Shape | None:
    if any(folder in lower for folder in _MEDIA_FOLDERS):
        return MEDIA_PATH
    name = lower.split("?", 1)[0].rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension in _MEDIA_EXTENSIONS:
        return MEDIA_PATH
    return VCARD_FILE if extension == "vcf" else None
