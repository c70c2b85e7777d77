"""A small stateful fake of the Slack Web API, served by aiohttp on 127.0.0.1."""

# The real slack_sdk AsyncWebClient talks to it through `base_url` (keep the trailing slash). It
# stores messages per channel (ts, thread_ts, metadata, blocks), keeps every call in `calls` with a
# monotonic timestamp, and fails on demand (`fail(method, status=429, retry_after=2)`; `apply=True`
# posts anyway and loses the answer).

import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    method: str
    at: float  # time.monotonic()
    channel: str | None
    params: dict[str, Any]
    auth: str | None = None  # the Authorization header (which token was used)


@dataclass
class Failure:
    status: int
    error: str
    retry_after: float | None = None
    # The call takes effect but its answer is an error (a response lost after Slack posted).
    apply: bool = False


@dataclass
class FakeSlack:
    users: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, list[dict]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    ephemerals: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)  # posts to response_url
    uploads: dict[str, dict] = field(default_factory=dict)  # file id -> {filename, data}
    files: dict[str, bytes] = field(default_factory=dict)  # private files agents shared
    downloads: list[dict] = field(default_factory=list)
    missing_channels: set[str] = field(default_factory=set)
    channel_names: dict[str, str] = field(default_factory=dict)  # for conversations.info
    file_infos: dict[str, dict] = field(default_factory=dict)  # file id -> files.info's `file`
    # Channels the bot was never invited to or was removed from, and archived ones: Slack
    # refuses posts there (not_in_channel / is_archived) until an operator fixes it.
    outside_channels: set[str] = field(default_factory=set)
    archived_channels: set[str] = field(default_factory=set)
    # A token Slack no longer accepts: every call fails with this error (e.g. token_revoked).
    token_error: str | None = None
    # The app's granted scopes, as Slack reports them in auth.test's X-OAuth-Scopes header.
    scopes: tuple[str, ...] = (
        "channels:history",
        "channels:read",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "groups:history",
        "groups:read",
        "users:read",
    )
    # Members of each channel (users and the bot); channels not listed have every known user.
    members: dict[str, set[str]] = field(default_factory=dict)
    # Slack's chat.postMessage limit, about one message a second per channel (None: not enforced).
    post_interval: float | None = None
    _last_post: dict[str, float] = field(default_factory=dict)
    rate_limited: int = 0  # how many 429s the limit answered
    deleted_roots: set[str] = field(default_factory=set)
    posted: list[tuple[str, float]] = field(default_factory=list)  # (channel, monotonic time)
    socket_url: str | None = None
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    # -- control ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/private/{file_id}", self._private)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(
        self, method: str, *, status: int = 500, error: str = "internal_error", **kwargs: Any
    ) -> None:
        """The next call of `method` fails (queue several calls for several failures)."""
        self._failures.setdefault(method, []).append(Failure(status, error, **kwargs))

    def add_user(self, user_id: str, display_name: str, *, real_name: str = "") -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": display_name.lower().replace(" ", "."),
            "real_name": real_name or display_name,
            "profile": {"display_name": display_name, "real_name": real_name or display_name},
        }

    def add_file(self, file_id: str, data: bytes) -> str:
        self.files[file_id] = data
        return f"{self.url}private/{file_id}"

    def next_ts(self) -> str:
        n = next(self._ids)
        return f"{1764300000 + n}.{n:06d}"

    # -- views for assertions ---------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def roots(self, channel: str) -> list[dict]:
        return [m for m in self.messages.get(channel, []) if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, channel: str, thread_ts: str) -> list[dict]:
        return [
            m
            for m in self.messages.get(channel, [])
            if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]

    def find(self, channel: str, ts: str) -> dict | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def parsed(self) -> str:
        """What Slack would format or parse in chat.* calls: each `text` and every mrkdwn
        object (rich_text text elements and plain_text are shown as they are)."""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "mrkdwn":
                    found.append(node.get("text", ""))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for call in self.calls:
            if call.method.startswith("chat."):
                found.append(str(call.params.get("text") or ""))
                walk(call.params.get("blocks") or [])
        return "\n".join(found)

    # -- HTTP -------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for name in ("blocks", "metadata", "files"):
            if isinstance(params.get(name), str):
                with contextlib.suppress(ValueError):
                    params[name] = json.loads(params[name])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        channel = params.get("channel") or params.get("channel_id")
        token = request.headers.get("Authorization")
        self.calls.append(Call(method, time.monotonic(), channel, params, token))
        queued = self._failures.get(method)
        if queued:
            failure = queued.pop(0)
            if failure.apply:
                self._handlers()[method](params)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(int(failure.retry_after))
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=headers
            )
        if self.token_error is not None:
            return web.json_response({"ok": False, "error": self.token_error})
        if channel in self.missing_channels:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        if refusal := self._refusal(method, channel):
            return refusal
        handler = self._handlers().get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = handler(params)
        if result.get("ok") is False:
            return web.json_response(result)
        headers = {"X-OAuth-Scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        return web.json_response({"ok": True, **result}, headers=headers)

    def _refusal(self, method: str, channel: str | None) -> web.Response | None:
        """What Slack answers a post it will not take: a channel the bot is not in or that is
        archived, or a second message within the per-channel limit (429 with Retry-After)."""
        if method not in ("chat.postMessage", "chat.update", "files.completeUploadExternal"):
            return None
        if channel in self.archived_channels:
            return web.json_response({"ok": False, "error": "is_archived"})
        if channel in self.outside_channels:
            return web.json_response({"ok": False, "error": "not_in_channel"})
        if method == "chat.postMessage" and self.post_interval is not None and channel:
            now = time.monotonic()
            wait = self._last_post.get(channel, -1e9) + self.post_interval - now
            if wait > 0:
                self.rate_limited += 1
                headers = {"Retry-After": str(max(1, round(wait)))}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            self._last_post[channel] = now
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads.setdefault(file_id, {})["data"] = await request.read()
        self.calls.append(Call("upload", time.monotonic(), None, {"file_id": file_id}))
        return web.Response(text="OK - 200")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _private(self, request: web.Request) -> web.Response:
        self.downloads.append({"auth": request.headers.get("Authorization")})
        data = self.files.get(request.match_info["file_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    def _handlers(self) -> dict[str, Callable[[dict], dict]]:
        return {
            "auth.test": self.m_auth_test,
            "apps.connections.open": self.m_apps_connections_open,
            "chat.postMessage": self.m_chat_postMessage,
            "chat.update": self.m_chat_update,
            "chat.delete": self.m_chat_delete,
            "chat.postEphemeral": self.m_chat_postEphemeral,
            "chat.getPermalink": self.m_chat_getPermalink,
            "users.info": self.m_users_info,
            "conversations.info": self.m_conversations_info,
            "files.info": self.m_files_info,
            "conversations.history": self.m_conversations_history,
            "conversations.members": self.m_conversations_members,
            "conversations.replies": self.m_conversations_replies,
            "files.getUploadURLExternal": self.m_files_getUploadURLExternal,
            "files.completeUploadExternal": self.m_files_completeUploadExternal,
        }

    # -- methods ----------------------------------------------------------------------------

    def m_auth_test(self, _params: dict) -> dict:
        return {
            "url": "https://pomoc-test.slack.com/",
            "team": "Pomoc",
            "user": "pomoc",
            "team_id": "T1",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def m_apps_connections_open(self, _params: dict) -> dict:
        return {"url": self.socket_url}

    def delete_root(self, channel: str, ts: str) -> None:
        """Someone deleted a thread's root in Slack: replies to it are refused from now on."""
        self.m_chat_delete({"channel": channel, "ts": ts})
        self.deleted_roots.add(ts)

    def m_chat_postMessage(self, params: dict) -> dict:
        channel = params["channel"]
        if params.get("thread_ts") in self.deleted_roots:
            return {"ok": False, "error": "thread_not_found"}
        message = {
            "type": "message",
            "ts": self.next_ts(),
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": params.get("text") or "",
            "blocks": params.get("blocks") or [],
            "metadata": params.get("metadata"),
            "params": params,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        self.messages.setdefault(channel, []).append(message)
        self.posted.append((channel, time.monotonic()))
        return {"channel": channel, "ts": message["ts"], "message": _public(message)}

    def m_chat_update(self, params: dict) -> dict:
        message = self.find(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update(text=params.get("text") or "", blocks=params.get("blocks") or [])
        message.setdefault("edits", 0)
        message["edits"] += 1
        return {"channel": params["channel"], "ts": params["ts"]}

    def m_chat_delete(self, params: dict) -> dict:
        channel = params["channel"]
        self.messages[channel] = [
            m for m in self.messages.get(channel, []) if m["ts"] != params["ts"]
        ]
        return {"channel": channel, "ts": params["ts"]}

    def m_chat_postEphemeral(self, params: dict) -> dict:
        self.ephemerals.append(params)
        return {"message_ts": self.next_ts()}

    def m_chat_getPermalink(self, params: dict) -> dict:
        stamp = params["message_ts"].replace(".", "")
        link = f"https://pomoc-test.slack.com/archives/{params['channel']}/p{stamp}"
        return {"channel": params["channel"], "permalink": link}

    def m_users_info(self, params: dict) -> dict:
        user = self.users.get(params["user"])
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"user": user}

    def m_files_info(self, params: dict) -> dict:
        """A Slack Connect file shared with `file_access: check_file_info` is described here."""
        info = self.file_infos.get(params["file"])
        if info is None:
            return {"ok": False, "error": "file_not_found"}
        return {"file": info}

    def m_conversations_history(self, params: dict) -> dict:
        full = _truthy(params.get("include_all_metadata"))
        roots = list(reversed(self.roots(params["channel"])))  # newest first
        limit = int(params.get("limit") or 100)
        return {"messages": [_public(m, full) for m in roots[:limit]], "has_more": False}

    def m_conversations_info(self, params: dict) -> dict:
        channel = params["channel"]  # unknown ones: `missing_channels` (channel_not_found)
        return {
            "channel": {
                "id": channel,
                "name": self.channel_names.get(channel) or channel.lower(),
                "is_channel": True,
                "is_archived": channel in self.archived_channels,
                "is_member": channel not in self.outside_channels,
            }
        }

    def m_conversations_members(self, params: dict) -> dict:
        channel = params["channel"]
        known = self.members.get(channel)
        if known is None:
            known = {*self.users, *(() if channel in self.outside_channels else (BOT_USER,))}
        return {"members": sorted(known), "response_metadata": {"next_cursor": ""}}

    def m_conversations_replies(self, params: dict) -> dict:
        full = _truthy(params.get("include_all_metadata"))
        channel, ts = params["channel"], params["ts"]
        root = self.find(channel, ts)
        if root is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [root, *self.replies(channel, ts)]
        return {"messages": [_public(m, full) for m in thread], "has_more": False}

    def m_files_getUploadURLExternal(self, params: dict) -> dict:
        file_id = f"F{next(self._ids)}"
        self.uploads[file_id] = {"filename": params.get("filename"), "length": params.get("length")}
        return {"upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, params: dict) -> dict:
        files = params.get("files") or []
        channel = params.get("channel_id")
        shared = []
        for item in files:
            upload = self.uploads[item["id"]]
            upload.update(
                channel=channel, thread_ts=params.get("thread_ts"), title=item.get("title")
            )
            shared.append(
                {"id": item["id"], "name": upload.get("filename"), "title": item.get("title")}
            )
        if channel:
            message = {
                "type": "message",
                "subtype": "file_share",
                "ts": self.next_ts(),
                "user": BOT_USER,
                "bot_id": BOT_ID,
                "text": params.get("initial_comment") or "",
                "files": shared,
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self.messages.setdefault(channel, []).append(message)
        return {"files": shared}


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _public(message: dict, with_metadata: bool = True) -> dict:
    data = {k: v for k, v in message.items() if k not in ("params", "edits")}
    if not with_metadata or data.get("metadata") is None:
        data.pop("metadata", None)
    return data
