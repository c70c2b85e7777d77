"""Images for Matrix clients: their size (`info.w/h`) and a small thumbnail, read with Pillow."""

# Only images the shop sent reach here, already sniffed and size-limited; Pillow's own pixel
# limit refuses decompression bombs. Anything it cannot read is sent without the extras.

import io
import logging

from PIL import Image, UnidentifiedImageError

from adapters.matrix.translate import ImageInfo

log = logging.getLogger(__name__)

THUMBNAIL_BOX = (800, 600)  # what Element shows inline at most


def picture(data: bytes) -> ImageInfo | None:
    """The image's size and, when it is larger than the box, a thumbnail (blocking: run it in
    a thread)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width <= THUMBNAIL_BOX[0] and height <= THUMBNAIL_BOX[1]:
                return ImageInfo(width, height)
            image.thumbnail(THUMBNAIL_BOX)
            out = io.BytesIO()
            image.save(out, format="PNG")  # translate.THUMBNAIL_TYPE
            return ImageInfo(width, height, out.getvalue(), *image.size)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        log.warning("image not readable for its size and thumbnail", exc_info=True)
        return None
