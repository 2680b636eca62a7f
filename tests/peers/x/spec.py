"""X's OpenAPI document (openapi.json beside this file) as a validator of requests and answers.

Requests are checked for what the document says of their operation: path and query
parameters (type, pattern, range, enum, required; a query parameter the operation does not
declare is an error, as X answers it with a 400), the security scheme (a bearer token), and the
body (JSON, multipart or form, against the operation's schema for that media type). Answers are
checked against the schema of their status code (or `default`) and media type.

Where the document contradicts X's reference pages, the pages win: KNOWN_DEFECTS lists the
only errors that are dropped for that reason (README.md says which and why).
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import (  # type: ignore[import-untyped]
    Draft4Validator,
    FormatChecker,
    validators,
)

DOCUMENT = Path(__file__).with_name("openapi.json")

# Where the document contradicts X's own reference pages, the pages win, and only these
# errors are dropped (README.md, "Where the document is wrong"): the media upload answers
# require a `meta` member that no page shows and no property describes, and a `type` in
# processing_info that no property describes and no page's example has.
KNOWN_DEFECTS = {
    "MediaUploadResponse": {"(root): 'meta' is a required property",
                            "data/processing_info: 'type' is a required property"},
    "MediaUploadAppendResponse": {"(root): 'meta' is a required property"},
}

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_formats = FormatChecker(formats=())


@_formats.checks("date-time")  # type: ignore[untyped-decorator]
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


@_formats.checks("byte", raises=(binascii.Error, ValueError))  # type: ignore[untyped-decorator]
def _is_base64(value: object) -> bool:
    if isinstance(value, str):
        base64.b64decode(value, validate=True)
    return True


def _type_with_nullable(validator: Any, types: Any, instance: Any, schema: Any) -> Any:
    if instance is None and schema.get("nullable"):
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


_walk = threading.local()


def _discriminator(validator: Any, spec: Any, instance: Any, schema: Any) -> Any:
    """OpenAPI 3.0: an object whose `propertyName` value is in `mapping` is also checked
    against the schema it maps to (once: the mapped schemas include this one again)."""
    if not isinstance(instance, dict):
        return
    target = spec.get("mapping", {}).get(instance.get(spec.get("propertyName")))
    if target is None:
        return
    active = _walk.__dict__.setdefault("active", set())
    key = (id(instance), target)
    if key in active:
        return
    active.add(key)
    try:
        yield from validator.descend(instance, {"$ref": target})
    finally:
        active.discard(key)


OASValidator = validators.extend(
    Draft4Validator, {"type": _type_with_nullable, "discriminator": _discriminator}
)


@dataclass
class Operation:
    method: str
    template: str
    spec: dict[str, Any]
    pattern: re.Pattern[str]
    names: list[str]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", ""))


@dataclass
class Failure:
    direction: str  # "request" or "response"
    method: str
    path: str
    operation: str
    status: int | None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction, "method": self.method, "path": self.path,
            "operation": self.operation, "status": self.status, "errors": self.errors,
        }


class Document:
    def __init__(self, path: Path = DOCUMENT) -> None:
        self.raw: dict[str, Any] = json.loads(path.read_text())
        self.components = self.raw["components"]
        self.operations: list[Operation] = []
        for template, item in self.raw["paths"].items():
            names = re.findall(r"{(\w+)}", template)
            regex = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            for method, spec in item.items():
                if method in {"get", "post", "put", "delete", "patch"}:
                    op = Operation(method.upper(), template, spec, re.compile(regex), names)
                    self.operations.append(op)
        # Literal paths before templated ones (/2/users/me before /2/users/{id}).
        self.operations.sort(key=lambda o: (len(o.names), o.template))
        self._validators: dict[int, Any] = {}

    # --- lookup ------------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            if op.method != method:
                continue
            found = op.pattern.match(path)
            if found:
                return op, found.groupdict()
        return None

    def documented(self, path: str) -> bool:
        return any(op.pattern.match(path) for op in self.operations)

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            target: Any = self.raw
            for part in parts:
                target = target[part]
            node = target
        return node

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        return [self.resolve(p) for p in op.spec.get("parameters", [])]

    def errors(self, schema: dict[str, Any], instance: Any) -> list[str]:
        key = id(schema)
        validator = self._validators.get(key)
        if validator is None:
            wrapper = {"allOf": [schema], "components": self.components}
            validator = OASValidator(wrapper, format_checker=_formats)
            self._validators[key] = validator
        return [_describe(e) for e in validator.iter_errors(instance)]

    # --- requests ----------------------------------------------------------------------------
    def check_request(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Operation | None, list[str]]:
        found = self.match(method, path)
        if found is None:
            return None, []
        op, path_values = found
        errors: list[str] = []
        raw_query = parse_qs(query, keep_blank_values=True)
        declared = {p["name"]: p for p in self.parameters(op)}
        for name, values in raw_query.items():
            param = declared.get(name)
            if param is None or param.get("in") != "query":
                errors.append(f"query parameter {name!r} is not a parameter of {op.template}")
                continue
            if len(values) > 1:
                errors.append(f"query parameter {name!r} given {len(values)} times")
            errors += self._check_param(param, values[-1], where=f"query parameter {name!r}")
        for name, param in declared.items():
            if param.get("in") == "path":
                errors += self._check_param(param, path_values.get(name, ""), f"path {name!r}")
            elif param.get("in") == "query" and param.get("required") and name not in raw_query:
                errors.append(f"required query parameter {name!r} is missing")
        errors += self._check_security(op, headers)
        errors += self._check_body(op, headers.get("content-type", ""), body)
        return op, errors

    def _check_param(self, param: dict[str, Any], raw: str, where: str) -> list[str]:
        schema = param.get("schema", {})
        value = _cast(self.resolve(schema), raw)
        return [f"{where}: {e}" for e in self.errors(schema, value)]

    def _check_security(self, op: Operation, headers: Mapping[str, str]) -> list[str]:
        schemes = op.spec.get("security", self.raw.get("security"))
        if not schemes:
            return []
        auth = headers.get("authorization", "")
        names = {name for requirement in schemes for name in requirement}
        if auth.lower().startswith("bearer ") and names & {"OAuth2UserToken", "BearerToken"}:
            return []
        if auth.startswith("OAuth ") and "UserToken" in names:
            return []
        return [f"no credentials of a scheme {sorted(names)} in the Authorization header"]

    def _check_body(self, op: Operation, content_type: str, body: bytes) -> list[str]:
        spec = op.spec.get("requestBody")
        if spec is None:
            return []
        spec = self.resolve(spec)
        if not body:
            return ["the request body is required"] if spec.get("required") else []
        media = content_type.split(";")[0].strip().lower()
        content = spec.get("content", {})
        if media not in content:
            return [f"body media type {media or '(none)'!r} is not one of {sorted(content)}"]
        schema = content[media].get("schema", {})
        try:
            instance = decode_body(media, content_type, body)
        except ValueError as exc:
            return [f"body is not {media}: {exc}"]
        if media == "multipart/form-data":
            instance = {k: _cast(self._property(schema, k), v) for k, v in instance.items()}
        return [f"body: {e}" for e in self.errors(schema, instance)]

    def _property(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        prop = self.resolve(schema).get("properties", {}).get(name, {})
        return self.resolve(prop)

    # --- answers -----------------------------------------------------------------------------
    def check_response(
        self, op: Operation, status: int, content_type: str, body: bytes
    ) -> list[str]:
        responses = op.spec.get("responses", {})
        spec = responses.get(str(status)) or responses.get("default")
        if spec is None:
            return [f"status {status} is not an answer of {op.template}"]
        spec = self.resolve(spec)
        content = spec.get("content", {})
        media = content_type.split(";")[0].strip().lower()
        if not content:
            return [] if not body else [f"status {status} has no body in the document"]
        if media not in content:
            return [f"answer media type {media!r} is not one of {sorted(content)}"]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"answer is not JSON: {exc}"]
        schema = content[media].get("schema", {})
        known = KNOWN_DEFECTS.get(schema.get("$ref", "").rsplit("/", 1)[-1], set())
        return [e for e in self.errors(schema, instance) if e not in known]


def decode_body(media: str, content_type: str, body: bytes) -> dict[str, Any] | Any:
    if media == "application/json":
        return json.loads(body)
    if media == "application/x-www-form-urlencoded":
        return {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    if media == "multipart/form-data":
        return {name: part.decode("latin-1") for name, (part, _f, _t) in multipart(
            content_type, body).items()}
    raise ValueError(f"unsupported media type {media}")


def multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str | None, str]]:
    """name -> (bytes, filename, part content type) of a multipart/form-data body."""
    if "boundary=" not in content_type:
        raise ValueError("multipart body without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    parts: dict[str, tuple[bytes, str | None, str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part without a name")
        payload = part.get_payload(decode=True)
        parts[name] = (payload if isinstance(payload, bytes) else b"", part.get_filename(),
                       part.get_content_type())
    if not parts:
        raise ValueError("no parts")
    return parts


def _cast(schema: dict[str, Any], raw: str) -> Any:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        return [_cast(items, v) for v in raw.split(",")] if raw != "" else []
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    message = str(error.message)
    if len(message) > 300:
        message = message[:300] + "..."
    return f"{where or '(root)'}: {message}"


@cache
def document() -> Document:
    return Document()
