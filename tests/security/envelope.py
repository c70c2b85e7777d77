"""What every refusal must look like: our JSON envelope with a message in Polish."""

import httpx

POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”")
POLISH_WORDS = {"jest", "nie", "pole", "plik", "brak", "zbyt", "tytuł", "opis", "link"}


def looks_polish(text: str) -> bool:
    words = {word.strip(".,:;!?").lower() for word in text.split()}
    return bool(POLISH_LETTERS & set(text)) or bool(POLISH_WORDS & words)


def assert_envelope(response: httpx.Response) -> dict:
    """A 4xx with {"detail": <Polish>, "errors": [{field, message}]}; returns the body."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and looks_polish(body["detail"]), body
    for item in body["errors"]:
        assert set(item) == {"field", "message"} and looks_polish(item["message"]), body
    return body
