"""Request validation against Akua's OpenAPI document, operation by operation.

The emulator accepts exactly what the spec accepts: routes, path, query and
header parameters, and JSON bodies are all checked with the spec's own schemas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .spec import json_pointer, schema_validator, spec

BASE_PATH = "/v1"


class ApiError(Exception):
    """An error answer: HTTP status plus Akua's error entries."""

    def __init__(self, status: int, message: str, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.path = status, message, path or []


@dataclass
class Operation:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    parameters: list[dict[str, Any]]
    body_schema: dict[str, Any] | None
    statuses: frozenset[int]


@dataclass
class Call:
    operation: Operation
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def operations() -> list[Operation]:
    found = []
    for template, item in spec()["paths"].items():
        pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        regex = re.compile("^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern) + "$")
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append(Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                template=template,
                regex=regex,
                parameters=op.get("parameters", []),
                body_schema=body.get("schema"),
                statuses=frozenset(int(s) for s in op.get("responses", {})),
            ))
    return found


class RequestValidator:
    def __init__(self) -> None:
        self._operations = operations()
        self._validators: dict[int, Any] = {}

    def _validate(self, schema: dict[str, Any], value: Any) -> Any:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = schema_validator(schema)
        return self._validators[key].iter_errors(value)

    def route(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for a request, or 404/405 as the server answers unknown routes."""
        if not raw_path.startswith(BASE_PATH + "/"):
            raise ApiError(404, f"No route {raw_path}")
        path = raw_path[len(BASE_PATH):]
        matching = [op for op in self._operations if op.regex.match(path)]
        if not matching:
            raise ApiError(404, f"No route {raw_path}")
        op = next((o for o in matching if o.method == method), None)
        if op is None:
            raise ApiError(405, f"{method} is not allowed on {raw_path}")
        return op, op.regex.match(path).groupdict()

    def parse(self, op: Operation, path_params: dict[str, str], query: dict[str, list[str]],
              headers: dict[str, str], raw_body: bytes) -> Call:
        """Check parameters and body against the operation's schemas (422 on failure)."""
        call = Call(operation=op, headers=headers)
        values = {"path": path_params, "query": query, "header": headers}
        for param in op.parameters:
            where, name = param["in"], param["name"]
            raw = values[where].get(name.lower() if where == "header" else name)
            if isinstance(raw, list):
                raw = raw[-1] if raw else None
            if raw is None:
                if param.get("required"):
                    raise ApiError(422, f"{name} is required", [where, name])
                continue
            value = _coerce(raw, param["schema"])
            error = next(iter(self._validate(param["schema"], value)), None)
            if error is not None:
                raise ApiError(422, f"{name}: {error.message}", [where, name])
            target = {"path": call.path, "query": call.query, "header": call.headers}[where]
            target[name.lower() if where == "header" else name] = value
        if op.body_schema is not None:
            if headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise ApiError(422, "Content-Type must be application/json", ["body"])
            try:
                call.body = json.loads(raw_body or b"null")
            except ValueError:
                raise ApiError(422, "Body is not valid JSON", ["body"]) from None
            from jsonschema.exceptions import best_match

            error = best_match(self._validate(op.body_schema, call.body))
            if error is not None:
                where = ["body", *(str(p) for p in error.absolute_path)]
                raise ApiError(422, f"{json_pointer(error.absolute_path)}: {error.message}", where)
        return call


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """Query and header values arrive as text; integers are parsed as the spec types them."""
    if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw
