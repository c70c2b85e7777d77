"""Attachment bytes on disk, addressed by content hash; metadata lives in the database."""

import hashlib
import os
import tempfile
from pathlib import Path


class AttachmentStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        # Owner only: shops' screenshots and invoices (mkstemp makes each file 0600 too).
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def save(self, data: bytes) -> tuple[str, str]:
        """Write `data` once and return (storage_key, sha256)."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}"
        target = self.directory / key
        if not target.exists():
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Write then rename, so a crash never leaves a half-written file under the final name.
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        return key, digest

    def path(self, key: str) -> Path:
        return self.directory / key

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
