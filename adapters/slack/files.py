"""Files agents share in Slack threads, fetched with the bot token from Slack's hosts only."""

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from bot.events import InboundFile

log = logging.getLogger(__name__)

MAX_DOWNLOAD = 50 * 1024 * 1024


async def download(url: str, *, token: str, hosts: frozenset[str]) -> bytes:
    """A private file, with the bot token: only from Slack's own file hosts (or `hosts`)."""
    if not translate.is_slack_file_url(url, extra_hosts=hosts):
        raise PermissionError(f"not a Slack file host: {urlsplit(url).netloc}")
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers=headers) as response,
    ):
        response.raise_for_status()
        return await response.read()


async def _file_of(client: AsyncWebClient, item: dict[str, Any]) -> dict[str, Any]:
    """The file as shared, or, for `file_access: check_file_info` (Slack Connect, not yet
    scanned), as files.info describes it."""
    if item.get("file_access") != "check_file_info":
        return item
    response = await client.files_info(file=item["id"])
    return dict(response.get("file") or {})


async def download_files(
    client: AsyncWebClient, files: list[dict[str, Any]], *, token: str, hosts: frozenset[str]
) -> tuple[tuple[InboundFile, ...], tuple[str, ...]]:
    """The files that could be fetched, and the names of those that could not."""
    fetched: list[InboundFile] = []
    missed: list[str] = []
    for shared in files:
        name = shared.get("name") or shared.get("title") or shared.get("id") or "plik"
        try:
            item = await _file_of(client, shared)
            name = item.get("name") or item.get("title") or name
            url = item.get("url_private_download") or item.get("url_private")
            if not url or int(item.get("size") or 0) > MAX_DOWNLOAD:
                raise ValueError("no downloadable copy within the size limit")
            data = await download(url, token=token, hosts=hosts)
        except PermissionError as refused:  # the token goes to Slack's file hosts only
            log.warning("file %s not fetched: %s", shared.get("id"), refused)
            missed.append(name)
            continue
        except Exception:  # one unreachable file must not lose the message
            log.exception("downloading Slack file %s failed", shared.get("id"))
            missed.append(name)
            continue
        fetched.append(
            InboundFile(
                filename=name,
                content_type=item.get("mimetype") or "application/octet-stream",
                data=data,
            )
        )
    return tuple(fetched), tuple(missed)
