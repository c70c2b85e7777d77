"""A real local HTTP receiver for webhooks, as the platform would run one: it verifies each
signature (the standardwebhooks library), dedupes by event id, and can go down and come back."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

SECRET = "whsec_" + "c2VjcmV0LWZvci13ZWJob29rLXRlc3RzLTEyMzQ1Njc4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    def __init__(self, secret: str = SECRET) -> None:
        self.verifier = Webhook(secret)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.events: dict[str, dict] = {}  # event id -> body, first delivery only
        self.deliveries: list[str] = []  # every delivery's event id, repeats included
        self.refused: list[str] = []  # signatures that did not verify
        self.status = 204
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def handle(self, headers: dict[str, str], raw: bytes) -> int:
        try:
            body = self.verifier.verify(raw, headers)
        except WebhookVerificationError as error:
            self.refused.append(str(error))
            return 401
        if headers.get("webhook-id") != body["id"]:
            self.refused.append("id header differs from the body")
            return 400
        with self._lock:
            self.deliveries.append(body["id"])
            if self.status < 300:
                self.events.setdefault(body["id"], body)
        return self.status

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, raw)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events.values() if e["type"] == kind]

    def types_for(self, ticket_id: int) -> list[str]:
        """The event types of one ticket, in the order first received."""
        ordered = list(dict.fromkeys(self.deliveries))
        return [
            self.events[i]["type"]
            for i in ordered
            if i in self.events and _ticket_of(self.events[i]) == ticket_id
        ]


def _ticket_of(body: dict) -> int | None:
    data = body["data"]
    return data["ticket"]["id"] if "ticket" in data else data.get("ticket_id")
