"""Attachment checks: count, size and the real type of the bytes (never the client's word)."""

from dataclasses import dataclass

import filetype

from bot.config import AttachmentsConfig
from bot.errors import ValidationFailed
from bot.events import InboundFile

FILENAME_MAX = 200


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip()
    return (cleaned or "plik")[:FILENAME_MAX]


def check_files(files: list[InboundFile], config: AttachmentsConfig) -> list[CheckedFile]:
    if len(files) > config.max_files:
        raise ValidationFailed("files", f"Można dodać najwyżej {config.max_files} plików.")
    checked = []
    limit_mb = config.max_bytes // (1024 * 1024)
    for item in files:
        name = _safe_name(item.filename)
        if not item.data:
            raise ValidationFailed("files", f"Plik {name} jest pusty.")
        if len(item.data) > config.max_bytes:
            raise ValidationFailed("files", f"Plik {name} jest za duży (limit {limit_mb} MB).")
        kind = filetype.guess(item.data)
        sniffed = kind.mime if kind else "application/octet-stream"
        if sniffed not in config.allowed_types:
            raise ValidationFailed(
                "files",
                f"Plik {name} ma niedozwolony typ. "
                "Dozwolone są obrazy (PNG, JPG, GIF, WebP) i PDF.",
            )
        checked.append(CheckedFile(filename=name, content_type=sniffed, data=item.data))
    return checked
