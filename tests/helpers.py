"""Small helpers the tests share."""

import io

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF_MINI = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def png(name: str = "zrzut.png", size: int = 0) -> tuple[str, io.BytesIO, str]:
    """A real PNG, padded past `size` bytes when asked (PNG readers ignore trailing bytes)."""
    data = PNG_1X1 + b"\0" * max(0, size - len(PNG_1X1))
    return (name, io.BytesIO(data), "image/png")
