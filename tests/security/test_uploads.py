"""Uploads: the bytes decide the type, and every limit is refused in Polish before storing."""

# Uploads: the bytes decide the type (never the client's label or the file name), and every limit
# (size, count, whole request) is refused in Polish before anything is stored.

import base64
import io

import pytest

from tests.conftest import make_config
from tests.helpers import PDF_MINI, PNG_1X1, auth, png
from tests.security.envelope import assert_envelope

MB = 1024 * 1024
JPEG_1X1 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAB"
    "PxA="
)
DISGUISED = {
    "pe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + b"\x00" * 64,
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
    "html": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(1)</script></svg>",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40,
    "shell": b"#!/bin/sh\nrm -rf /\n",
}


@pytest.fixture
def config(database_url, tmp_path):
    return make_config(database_url, tmp_path, panel={"max_request_bytes": 3 * MB})


async def create(client, token, files):
    return await client.post(
        "/api/v1/tickets",
        headers=auth(token),
        data={"title": "Zrzut ekranu", "body": "W zalaczniku"},
        files=[("files", item) for item in files],
    )


async def nothing_stored(client, token, config) -> None:
    listed = (await client.get("/api/v1/tickets", headers=auth(token))).json()
    assert listed["tickets"] == []
    directory = config.attachments.directory
    assert not directory.exists() or not any(p.is_file() for p in directory.rglob("*"))


@pytest.mark.parametrize("kind", sorted(DISGUISED))
async def test_executables_and_scripts_disguised_as_png_are_refused(
    client, shop_token, config, kind
):
    response = await create(client, shop_token, [("zrzut.png", DISGUISED[kind], "image/png")])
    assert response.status_code == 422, response.text
    body = assert_envelope(response)
    assert body["errors"][0]["field"] == "files"
    assert "niedozwolony typ" in body["detail"]
    await nothing_stored(client, shop_token, config)


@pytest.mark.parametrize(
    ("data", "label", "sniffed", "disposition"),
    [
        (PNG_1X1, "image/png", "image/png", "inline"),
        (JPEG_1X1, "application/octet-stream", "image/jpeg", "inline"),
        (PDF_MINI, "image/png", "application/pdf", "attachment"),
        # A polyglot is served as the image it starts as, never as the HTML it also contains.
        (PNG_1X1 + DISGUISED["html"], "text/html", "image/png", "inline"),
    ],
    ids=["png", "jpeg-unlabelled", "pdf-labelled-png", "png-html-polyglot"],
)
async def test_real_files_are_stored_with_the_sniffed_type(
    client, shop_token, data, label, sniffed, disposition
):
    response = await create(client, shop_token, [("../../etc/x.exe", data, label)])
    assert response.status_code == 201, response.text
    (attachment,) = response.json()["messages"][0]["attachments"]
    assert attachment["content_type"] == sniffed
    assert attachment["filename"] == "x.exe"  # no path survives; the bytes decide the type
    download = await client.get(attachment["url"], headers=auth(shop_token))
    assert download.content == data
    assert download.headers["content-type"].split(";")[0] == sniffed
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith(disposition)


async def test_size_and_count_limits(client, shop_token, config):
    at_limit = await create(client, shop_token, [png(size=MB)])
    assert at_limit.status_code == 201, at_limit.text
    refusals = {
        "over": [png(size=MB + 1)],
        "empty": [("pusty.png", b"", "image/png")],
        "too many": [png(f"{n}.png") for n in range(11)],
    }
    for case, files in refusals.items():
        response = await create(client, shop_token, files)
        assert response.status_code == 422, (case, response.text)
        assert assert_envelope(response)["errors"][0]["field"] == "files"
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert len(listed["tickets"]) == 1


async def test_whole_request_over_the_limit_is_413_declared_or_streamed(client, shop_token):
    big = PNG_1X1 + b"\0" * (4 * MB)
    declared = await create(client, shop_token, [("big.png", big, "image/png")])
    assert declared.status_code == 413, declared.text
    assert "limit 3 MB" in assert_envelope(declared)["detail"]

    async def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n'
        for _ in range(5):
            yield b"\0" * MB

    streamed = await client.post(
        "/api/v1/tickets",
        headers={**auth(shop_token), "Content-Type": "multipart/form-data; boundary=x"},
        content=chunks(),
    )
    assert streamed.status_code == 413, streamed.text
    assert_envelope(streamed)
    listed = (await client.get("/api/v1/tickets", headers=auth(shop_token))).json()
    assert listed["tickets"] == []


async def test_follow_up_uploads_are_checked_too(client, shop_token):
    ticket = (await create(client, shop_token, [])).json()
    response = await client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(shop_token),
        data={"body": "Jeszcze plik"},
        files=[("files", ("faktura.pdf", io.BytesIO(DISGUISED["pe"]), "application/pdf"))],
    )
    assert response.status_code == 422, response.text
    assert assert_envelope(response)["errors"][0]["field"] == "files"
    detail = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(shop_token))).json()
    assert [m["body"] for m in detail["messages"] if m["author"] == "shop"] == ["W zalaczniku"]
