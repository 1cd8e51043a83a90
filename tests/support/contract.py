"""Checks real HTTP responses against the backends' OpenAPI document.

Small on purpose: find the operation for a method and concrete path, require the
status to be documented, validate the JSON body with jsonschema (Draft 2020-12,
which OpenAPI 3.1 uses). Works for any implementation of the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, RefResolver

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "bot" / "backends" / "openapi.yaml"


@dataclass(frozen=True)
class Operation:
    """One documented method on one path template."""

    method: str
    template: str
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        """The operation's id, or ``METHOD template`` when it has none."""
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


class Contract:
    """The OpenAPI document, loaded once."""

    def __init__(self, path: Path = OPENAPI_PATH) -> None:
        self.document: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
        self._resolver = RefResolver.from_schema(self.document)

    @cached_property
    def operations(self) -> list[Operation]:
        """Every documented operation."""
        return [
            Operation(method.upper(), template, spec)
            for template, item in self.document["paths"].items()
            for method, spec in item.items()
            if method in {"get", "post", "put", "patch", "delete"}
        ]

    def find(self, method: str, path: str) -> Operation:
        """Return the operation a concrete request path belongs to."""
        path = path.split("?", 1)[0]
        for operation in self.operations:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(operation.template))
            if operation.method == method.upper() and re.fullmatch(pattern, path):
                return operation
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, node = self._resolver.resolve(node["$ref"])
        return node

    def response_schema(self, operation: Operation, status: int) -> dict[str, Any]:
        """Return the JSON schema documented for a status of an operation."""
        responses = operation.spec["responses"]
        if str(status) not in responses:
            raise AssertionError(
                f"{operation.operation_id} answered {status}, which the contract "
                f"does not document (documented: {sorted(responses)})"
            )
        response = self._resolve(responses[str(status)])
        schema: dict[str, Any] = response["content"]["application/json"]["schema"]
        return schema

    def check(self, method: str, path: str, status: int, body: Any) -> Operation:
        """Assert a response is documented and its body matches the schema.

        Returns:
            The operation, so callers can track coverage.
        """
        operation = self.find(method, path)
        validator = Draft202012Validator(
            self.response_schema(operation, status), resolver=self._resolver
        )
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            details = "\n".join(
                f"  at {'/'.join(map(str, e.path)) or '<root>'}: {e.message}"
                for e in errors[:10]
            )
            raise AssertionError(
                f"{method} {path} -> {status} breaks the contract:\n{details}"
            )
        return operation
