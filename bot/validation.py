"""Checks on what shop owners send, with Polish messages that name the field."""

import re

from bot.errors import ValidationFailed

TITLE_MAX_WORDS = 6
TITLE_MAX_CHARS = 120
BODY_MAX_CHARS = 20_000
URL_MAX_CHARS = 2_000
SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MAX_CHARS = 1_000
_WORD = re.compile(r"\S+")


def clean_text(value: str | None) -> str:
    """Strip and drop control characters (but keep newlines and tabs)."""
    if value is None:
        return ""
    cleaned = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable())
    return cleaned.strip()


def check_title(value: str | None) -> str:
    title = " ".join(clean_text(value).split())
    if not title:
        raise ValidationFailed("title", "Tytuł jest wymagany: opisz problem w 2–3 słowach.")
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationFailed("title", f"Tytuł może mieć najwyżej {TITLE_MAX_CHARS} znaków.")
    if len(_WORD.findall(title)) > TITLE_MAX_WORDS:
        raise ValidationFailed(
            "title",
            f"Tytuł powinien mieć 2–3 słowa (najwyżej {TITLE_MAX_WORDS}); "
            "szczegóły wpisz w opisie.",
        )
    return title


def check_body(value: str | None, *, field: str = "body") -> str:
    body = clean_text(value)
    if not body:
        raise ValidationFailed(field, "Opis jest wymagany: napisz, czego dotyczy problem.")
    if len(body) > BODY_MAX_CHARS:
        raise ValidationFailed(field, f"Opis może mieć najwyżej {BODY_MAX_CHARS} znaków.")
    return body


def check_order_url(value: str | None) -> str | None:
    url = clean_text(value)
    if not url:
        return None
    if len(url) > URL_MAX_CHARS or not re.fullmatch(r"https?://[^\s<>\"']+", url):
        raise ValidationFailed(
            "order_url", "Link do zamówienia musi być pełnym adresem zaczynającym się od https://."
        )
    return url


def check_score(value: int) -> int:
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationFailed("score", f"Ocena musi być liczbą od {SCORE_MIN} do {SCORE_MAX}.")
    return value


def check_comment(value: str | None) -> str | None:
    """An optional comment: None when empty. The limit counts what was sent, before trimming,
    as the published schema's maxLength and the form's maxlength do."""
    if value is not None and len(value) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            "comment", f"Komentarz może mieć najwyżej {COMMENT_MAX_CHARS} znaków."
        )
    return clean_text(value) or None
