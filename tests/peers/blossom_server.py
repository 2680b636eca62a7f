"""A Blossom media server for the tests, written from the Blossom specs (BUD-01 retrieval, BUD-02
upload, BUD-06 upload requirements, BUD-11 authorization), not from the hub's client.

No Blossom server is installable here: hzrd149's blossom-server ships as a container image
only (it is not on npm), blossom-server-sdk on npm is storage classes without an HTTP server,
and the other servers are Go or Rust programs from registries this machine cannot reach. So
this one is small and strict, and runs as its own process like the other peers:

    PYTHONPATH=. python tests/peers/blossom_server.py --port 8123 --data /tmp/blobs [--max-bytes N]

- `GET|HEAD /<sha256>[.ext]`: the blob, with its type and length (404 when unknown).
- `PUT /upload`: the bytes, with `Authorization: Nostr <base64url event>` (kind 24242, signed,
  `created_at` not in the future, `expiration` in the future, `t` upload, an `x` tag equal to
  the body's sha256, `server` tags, when present, naming this host). Content-Length required
  (411), at most `--max-bytes` (413), image types only (415), `X-SHA-256` checked against the
  body (409). 201 with a blob descriptor when new, 200 when it was there already.
- `HEAD /upload`: the same checks on `X-SHA-256`, `X-Content-Type`, `X-Content-Length`.
- Every refusal says why in `X-Reason`; every answer has `Access-Control-Allow-Origin: *`.

NIP-96, off until a test turns it on (setting `nip96`), as servers that speak both do:
- `GET /.well-known/nostr/nip96.json`: `api_url` (`/api/v2/media`), the types and the size limit.
- `POST /api/v2/media`: multipart/form-data with `file`, authorized by NIP-98 (kind 27235,
  signed, `created_at` within 60 s, `u` the api_url, `method` POST, `payload` the file's sha256
  when given); the answer's `nip94_event` has `url`, `ox`, `x`, `m`, `size` and `dim`.
- Delayed processing, on demand (setting `processing`: N): a new file is answered 202 with a
  `processing_url` and what is known in advance (`url` with the processed type's extension,
  `ox`, `m`), the original served meanwhile; `GET <processing_url>` answers 200 `processing`
  (with a `percentage`) N times, then converts the picture to WebP, serves that at the same
  address and answers 201 with the whole description (`x` of the WebP, its `size`, `dim`).
  With `processing_fails` the last answer is 200 `error` instead.

A control surface for the tests under `/_standin/` (loopback only, like the server): `GET log`
(the requests and their verdicts), `POST reset`, `POST settings` (`allowed_pubkeys`,
`max_bytes`, `wrong_hash`: answer uploads with another blob's sha256, `nip96`, `processing`,
`processing_fails`).

The signature is checked with coincurve (BIP-340), hashing the NIP-01 serialization here.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import mimetypes
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

from tests.peers.blossom_auth import (
    HTTP_AUTH_KIND,
    Refusal,
    check_event,
    check_signature,
    decode_token,
    multipart,
)

API_PATH = "/api/v2/media"
PROCESSING_PATH = API_PATH + "/processing/"
TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
              "image/webp": ".webp"}
_BLOB_PATH = re.compile(r"^/([0-9a-f]{64})(\.[a-z0-9]{1,8})?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class State:
    def __init__(self, data: Path, public_url: str, host: str, max_bytes: int) -> None:
        self.data = data
        self.public_url = public_url
        self.host = host
        self.default_max = max_bytes
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.max_bytes = self.default_max
            self.allowed: set[str] | None = None
            self.wrong_hash = False
            self.nip96 = False
            self.processing = 0  # "processing" answers before a delayed file is done
            self.processing_fails = False
            self.jobs: dict[str, dict[str, Any]] = {}
            self.log: list[dict[str, Any]] = []
            self.types: dict[str, str] = {}
            for path in self.data.iterdir():
                path.unlink()

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)


class Handler(BaseHTTPRequestHandler):
    server_version = "blossom-standin/1"
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{self.command} {self.path} " + (format % args), flush=True)

    # --- answers --------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              *, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _refuse(self, refusal: Refusal, *, head: bool = False) -> None:
        body = b"" if head else json.dumps({"message": refusal.reason}).encode()
        self._send(refusal.status, body, {"X-Reason": refusal.reason,
                                          "Content-Type": "application/json"}, head=head)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    # --- methods ----------------------------------------------------------------------------
    def do_OPTIONS(self) -> None:
        self._send(204, headers={"Access-Control-Allow-Headers": "Authorization, *",
                                 "Access-Control-Allow-Methods": "GET, HEAD, PUT, DELETE",
                                 "Access-Control-Max-Age": "86400"})

    def do_GET(self) -> None:
        if self.path == "/.well-known/nostr/nip96.json":
            with self.state.lock:
                on, most = self.state.nip96, self.state.max_bytes
            if not on:
                self._refuse(Refusal(404, "Not found"))
                return
            self._json(200, {"api_url": self.state.public_url + API_PATH,
                             "download_url": self.state.public_url, "supported_nips": [96, 98],
                             "content_types": list(TYPES),
                             "plans": {"free": {"name": "Free", "is_nip98_required": True,
                                                "max_byte_size": most}}})
            return
        if self.path.startswith(PROCESSING_PATH):
            self._processing(self.path.removeprefix(PROCESSING_PATH))
            return
        if self.path == "/_standin/log":
            with self.state.lock:
                self._json(200, self.state.log)
            return
        self._blob(head=False)

    def do_HEAD(self) -> None:
        if self.path == "/upload":
            self._head_upload()
            return
        self._blob(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == API_PATH:
            self._nip96_upload(body)
        elif self.path == "/_standin/reset":
            self.state.reset()
            self._json(200, {"ok": True})
        elif self.path == "/_standin/settings":
            settings = json.loads(body or b"{}")
            with self.state.lock:
                if "allowed_pubkeys" in settings:
                    allowed = settings["allowed_pubkeys"]
                    self.state.allowed = None if allowed is None else set(allowed)
                if "max_bytes" in settings:
                    self.state.max_bytes = int(settings["max_bytes"])
                if "wrong_hash" in settings:
                    self.state.wrong_hash = bool(settings["wrong_hash"])
                if "nip96" in settings:
                    self.state.nip96 = bool(settings["nip96"])
                if "processing" in settings:
                    self.state.processing = int(settings["processing"])
                if "processing_fails" in settings:
                    self.state.processing_fails = bool(settings["processing_fails"])
            self._json(200, {"ok": True})
        else:
            self._refuse(Refusal(404, "Not found"))

    def do_PUT(self) -> None:
        if self.path != "/upload":
            self._refuse(Refusal(404, "Not found"))
            return
        entry: dict[str, Any] = {"method": "PUT", "path": "/upload"}
        try:
            length_text = self.headers.get("Content-Length")
            if length_text is None:
                raise Refusal(411, "Content-Length is required")
            length = int(length_text)
            body = self.rfile.read(length)  # read whole, so the client hears the answer
            if len(body) != length:
                self.close_connection = True
                return  # the client went away mid-body: not a request
            if length > self.state.max_bytes:
                raise Refusal(413, f"File too large: at most {self.state.max_bytes} bytes")
            sha256 = hashlib.sha256(body).hexdigest()
            entry["sha256"] = sha256
            said = (self.headers.get("X-SHA-256") or "").lower()
            if said and said != sha256:
                raise Refusal(409, "X-SHA-256 does not match the body")
            pubkey = self._authorize(sha256, entry)
            mime = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if mime not in TYPES:
                raise Refusal(415, f"Only pictures are stored here, not {mime or 'untyped data'}")
            path = self.state.data / sha256
            existed = path.exists()
            if not existed:
                path.write_bytes(body)
            with self.state.lock:
                self.state.types.setdefault(sha256, mime)
                wrong = self.state.wrong_hash
            entry.update(status=200 if existed else 201, pubkey=pubkey, size=length)
            self.state.record(entry)
            shown = hashlib.sha256(body + b"changed").hexdigest() if wrong else sha256
            self._json(200 if existed else 201, {
                "url": f"{self.state.public_url}/{shown}{EXTENSIONS[mime]}",
                "sha256": shown, "size": length, "type": mime,
                "uploaded": int(time.time())})
        except Refusal as refusal:
            entry.update(status=refusal.status, reason=refusal.reason)
            self.state.record(entry)
            self._refuse(refusal)

    def _nip96_upload(self, body: bytes) -> None:
        entry: dict[str, Any] = {"method": "POST", "path": API_PATH}
        try:
            with self.state.lock:
                on = self.state.nip96
            if not on:
                raise Refusal(404, "Not found")
            fields = multipart(self.headers.get("Content-Type") or "", body)
            if "file" not in fields:
                raise Refusal(400, "The form has no file")
            data, mime = fields["file"]
            sha256 = hashlib.sha256(data).hexdigest()
            entry["sha256"] = sha256
            entry["fields"] = {k: v[0].decode(errors="replace") for k, v in fields.items()
                               if k != "file"}
            event = decode_token(self.headers.get("Authorization") or "")
            entry["auth"] = event
            pubkey = self._nip98(event, sha256)
            with self.state.lock:
                allowed, most = self.state.allowed, self.state.max_bytes
            if allowed is not None and pubkey not in allowed:
                raise Refusal(403, "This key may not upload to this server")
            if len(data) > most:
                raise Refusal(413, f"File too large: at most {most} bytes")
            if mime not in TYPES:
                raise Refusal(400, f"Only pictures are stored here, not {mime or 'untyped data'}")
            path = self.state.data / sha256
            existed = path.exists()
            if not existed:
                path.write_bytes(data)
            with self.state.lock:
                self.state.types.setdefault(sha256, mime)
            with Image.open(io.BytesIO(data)) as picture:
                dim = f"{picture.width}x{picture.height}"
            with self.state.lock:
                delayed = self.state.processing
            if delayed and not existed:
                self._accepted(entry, sha256, pubkey, len(data), delayed)
                return
            entry.update(status=200 if existed else 201, pubkey=pubkey, size=len(data))
            self.state.record(entry)
            self._json(200 if existed else 201, {
                "status": "success", "message": "Upload successful.",
                "nip94_event": {"content": "", "tags": [
                    ["url", f"{self.state.public_url}/{sha256}{EXTENSIONS[mime]}"],
                    ["ox", sha256], ["x", sha256], ["m", mime], ["size", str(len(data))],
                    ["dim", dim]]}})
        except Refusal as refusal:
            entry.update(status=refusal.status, reason=refusal.reason)
            self.state.record(entry)
            self._json(refusal.status, {"status": "error", "message": refusal.reason})

    def _accepted(self, entry: dict[str, Any], sha256: str, pubkey: str, size: int,
                  polls: int) -> None:
        """202: the file waits for processing (to WebP); the original is served meanwhile."""
        job = uuid.uuid4().hex
        with self.state.lock:
            self.state.jobs[job] = {"sha256": sha256, "left": polls, "asked": 0}
        entry.update(status=202, pubkey=pubkey, size=size, job=job)
        self.state.record(entry)
        self._json(202, {
            "status": "success", "message": "Upload accepted; processing.",
            "processing_url": self.state.public_url + PROCESSING_PATH + job,
            "nip94_event": {"content": "", "tags": [
                ["url", f"{self.state.public_url}/{sha256}.webp"], ["ox", sha256],
                ["m", "image/webp"]]}})

    def _processing(self, job: str) -> None:
        with self.state.lock:
            found = self.state.jobs.get(job)
            if found is not None:
                found["asked"] += 1
                found["left"] -= 1
                left, fails = found["left"], self.state.processing_fails
        if found is None:
            self._json(404, {"status": "error", "message": "No such processing job"})
            return
        entry: dict[str, Any] = {"method": "GET", "path": "processing", "job": job, "status": 200}
        if left >= 0 or fails:
            self.state.record(entry)
            self._json(200, {"status": "error", "message": "The picture could not be converted."}
                       if left < 0 else {"status": "processing", "percentage": 10,
                                         "message": "Processing. Please check again later."})
            return
        sha256 = found["sha256"]
        path = self.state.data / sha256
        with Image.open(path) as picture:
            out = io.BytesIO()
            picture.save(out, "WEBP", quality=70)
            dim = f"{picture.width}x{picture.height}"
        processed = out.getvalue()
        path.write_bytes(processed)
        with self.state.lock:
            self.state.types[sha256] = "image/webp"
        self.state.record(entry | {"status": 201})
        self._json(201, {
            "status": "success", "message": "Processing done.",
            "nip94_event": {"content": "", "tags": [
                ["url", f"{self.state.public_url}/{sha256}.webp"], ["ox", sha256],
                ["x", hashlib.sha256(processed).hexdigest()], ["m", "image/webp"],
                ["size", str(len(processed))], ["dim", dim]]}})

    def _nip98(self, event: dict[str, Any], sha256: str) -> str:
        """The NIP-98 checks for this upload; returns the pubkey."""
        pubkey, created_at, tags = check_signature(event, HTTP_AUTH_KIND)
        if abs(int(time.time()) - created_at) > 60:
            raise Refusal(401, "The authorization event is not from the last minute")
        first = {t[0]: t[1] for t in reversed(tags) if len(t) > 1}
        if first.get("u") != self.state.public_url + API_PATH:
            raise Refusal(401, "The authorization event is for another address (u tag)")
        if first.get("method") != "POST":
            raise Refusal(401, "The authorization event is for another method")
        if "payload" in first and first["payload"] != sha256:
            raise Refusal(403, "The authorization event names another file (payload tag)")
        return pubkey

    # --- parts ------------------------------------------------------------------------------
    def _authorize(self, sha256: str, entry: dict[str, Any]) -> str:
        event = decode_token(self.headers.get("Authorization") or "")
        entry["auth"] = event
        pubkey = check_event(event, "upload", sha256, self.state.host)
        with self.state.lock:
            allowed = self.state.allowed
        if allowed is not None and pubkey not in allowed:
            raise Refusal(403, "This key may not upload to this server")
        return pubkey

    def _head_upload(self) -> None:
        entry: dict[str, Any] = {"method": "HEAD", "path": "/upload"}
        try:
            sha256 = (self.headers.get("X-SHA-256") or "").lower()
            if not _HEX64.match(sha256):
                raise Refusal(400, "X-SHA-256 must be a lowercase hex sha256")
            length_text = self.headers.get("X-Content-Length")
            if length_text is None or not length_text.isdigit():
                raise Refusal(411, "X-Content-Length is required")
            self._authorize(sha256, entry)
            if int(length_text) > self.state.max_bytes:
                raise Refusal(413, f"File too large: at most {self.state.max_bytes} bytes")
            mime = (self.headers.get("X-Content-Type") or "").lower()
            if mime not in TYPES:
                raise Refusal(415, f"Only pictures are stored here, not {mime or 'untyped data'}")
            entry["status"] = 200
            self.state.record(entry)
            self._send(200, head=True)
        except Refusal as refusal:
            entry.update(status=refusal.status, reason=refusal.reason)
            self.state.record(entry)
            self._refuse(refusal, head=True)

    def _blob(self, *, head: bool) -> None:
        match = _BLOB_PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._refuse(Refusal(404, "Not found"), head=head)
            return
        path = self.state.data / match.group(1)
        if not path.exists():
            self._refuse(Refusal(404, "Blob not found"), head=head)
            return
        data = path.read_bytes()
        with self.state.lock:
            mime = self.state.types.get(match.group(1)) or (
                mimetypes.guess_type("x" + (match.group(2) or ""))[0]
                or "application/octet-stream")
        self._send(200, data, {"Content-Type": mime, "Content-Length": str(len(data)),
                               "Accept-Ranges": "none"}, head=head)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--max-bytes", type=int, default=5 * 1024 * 1024)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    public_url = f"http://127.0.0.1:{args.port}"
    Handler.state = State(args.data, public_url, "127.0.0.1", args.max_bytes)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {public_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
