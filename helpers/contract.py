"""Response contract check: budapp's answers against an OpenAPI document.

Each response is matched to the document's operation (method + path template) and checked:

* a status the operation does not declare is a deviation when it is a success (2xx); an undeclared error
  status is only counted as *undocumented* (OpenAPI does not require every error status to be listed);
* a declared JSON body must parse and validate against the declared schema (JSON Schema 2020-12, which
  OpenAPI 3.1 uses; ``$ref`` resolved inside the document);
* a request to a path and method the document does not have is a deviation (an undocumented operation).

Deviations are kept per (operation, status, problem) with the first test that saw them and a count.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:e2e:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
MAX_PROBLEM = 300


class ContractDocumentError(Exception):
    """The OpenAPI document is missing or not usable; the message says which and why."""


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    template: str
    responses: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template}"


@dataclass
class Deviation:
    operation: str
    method: str
    path: str
    status: int
    problem: str
    first_test: str
    count: int = 1
    known: str = ""  # the defect registry's id where this deviation is a registered platform defect

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "problem": self.problem,
            "first_test": self.first_test,
            "count": self.count,
            "known": self.known,
        }


def pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class OpenAPIDocument:
    """Operations of one OpenAPI 3.x document, found by method and concrete path."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
            raise ContractDocumentError(f"{source} is not an OpenAPI 3 document")
        self.document = document
        self.source = source
        self.registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
        self.operations: list[tuple[re.Pattern[str], int, Operation]] = []
        for template, item in (document.get("paths") or {}).items():
            for method in METHODS:
                if method in item:
                    spec = item[method]
                    operation = Operation(
                        spec.get("operationId") or f"{method} {template}", method, template, spec.get("responses") or {}
                    )
                    self.operations.append((self._pattern(template), template.count("{"), operation))
        # literal paths win over templated ones: /projects/recent before /projects/{project_id}
        self.operations.sort(key=lambda entry: entry[1])
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    @staticmethod
    def _pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", template)
        return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")

    def operation(self, method: str, path: str) -> Operation | None:
        method = method.lower()
        for candidate in (path, path[:-1] if path.endswith("/") else path + "/"):
            for pattern, _, operation in self.operations:
                if operation.method == method and pattern.match(candidate):
                    return operation
        return None

    def validator(self, operation: Operation, status_key: str) -> Draft202012Validator | None:
        key = (operation.id, status_key)
        if key not in self._validators:
            content = (operation.responses.get(status_key) or {}).get("content") or {}
            if "application/json" not in content or "schema" not in content["application/json"]:
                return None
            ref = pointer(
                "paths",
                operation.template,
                operation.method,
                "responses",
                status_key,
                "content",
                "application/json",
                "schema",
            )
            self._validators[key] = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{ref}"}, registry=self.registry)
        return self._validators[key]


def declared_status(operation: Operation, status: int) -> str | None:
    """The responses key covering ``status``: exact, ``2XX`` style, or ``default``."""
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in operation.responses:
            return key
    return None


SHOWN_INSTANCE = 60


def describe(error: ValidationError) -> str:
    """Where and what, without the whole offending value (so one defect is one deviation, not one per id)."""
    where = "/".join(str(part) if not isinstance(part, int) else "[]" for part in error.absolute_path) or "(body)"
    instance = repr(error.instance)
    message = error.message
    if error.validator in ("anyOf", "oneOf"):
        closest = best_match(error.context) if error.context else None
        message = f"matches none of the {error.validator} shapes"
        if closest is not None:
            message += f"; closest: {describe(closest)}"
    elif len(instance) > SHOWN_INSTANCE:
        message = message.replace(instance, f"<{type(error.instance).__name__}>")
    return f"{where}: {message}"[:MAX_PROBLEM]


@dataclass
class ContractChecker:
    """Checks responses and keeps what deviated; ``known`` maps operation ids to defect ids."""

    document: OpenAPIDocument
    known: dict[str, str] = field(default_factory=dict)
    checked: Counter = field(default_factory=Counter)
    undocumented: Counter = field(default_factory=Counter)
    deviations: dict[tuple[str, int, str], Deviation] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)  # operation id -> tests that called it

    def check(self, method: str, url: str, status: int, content_type: str, body: bytes, test: str = "") -> None:
        path = urlsplit(url).path or "/"
        operation = self.document.operation(method, path)
        if operation is None:
            self._deviate(f"{method.upper()} {path}", method, path, status, "operation not in the document", test)
            return
        self.checked[operation.id] += 1
        self.callers.setdefault(operation.id, set()).add(test)
        key = declared_status(operation, status)
        if key is None:
            if 200 <= status < 300:
                self._deviate(
                    operation.id,
                    operation.method,
                    operation.template,
                    status,
                    f"status {status} is not declared (declared: {', '.join(operation.responses)})",
                    test,
                )
            else:
                self.undocumented[f"{operation.id} {status}"] += 1
            return
        validator = self.document.validator(operation, key)
        if validator is None:
            return
        if "json" not in content_type:
            self._deviate(
                operation.id,
                operation.method,
                operation.template,
                status,
                f"declared JSON, got content type {content_type or '(none)'}",
                test,
            )
            return
        try:
            payload = json.loads(body)
        except ValueError:
            self._deviate(operation.id, operation.method, operation.template, status, "body is not JSON", test)
            return
        error = best_match(validator.iter_errors(payload))
        if error is not None:
            self._deviate(operation.id, operation.method, operation.template, status, describe(error), test)

    def _deviate(self, operation: str, method: str, path: str, status: int, problem: str, test: str) -> None:
        key = (operation, status, problem)
        if key in self.deviations:
            self.deviations[key].count += 1
        else:
            self.deviations[key] = Deviation(
                operation, method.upper(), path, status, problem, test, known=self.known.get(operation, "")
            )

    def report(self) -> dict[str, Any]:
        return {
            "source": self.document.source,
            "checked": dict(self.checked),
            "undocumented_error_statuses": dict(self.undocumented),
            "deviations": [d.as_dict() for d in self.deviations.values()],
            "operations": {op.id: op.label for _, _, op in self.document.operations},
            "callers": {op: sorted(t for t in tests if t) for op, tests in self.callers.items()},
        }


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report of several (xdist workers): counts summed, deviations merged by (operation, status, problem)."""
    checked: Counter = Counter()
    undocumented: Counter = Counter()
    deviations: dict[tuple[str, int, str], dict[str, Any]] = {}
    sources = {r["source"] for r in reports if r.get("source")}
    for report in reports:
        checked.update(report.get("checked", {}))
        undocumented.update(report.get("undocumented_error_statuses", {}))
        for deviation in report.get("deviations", []):
            key = (deviation["operation"], deviation["status"], deviation["problem"])
            if key in deviations:
                deviations[key]["count"] += deviation["count"]
            else:
                deviations[key] = dict(deviation)
    operations: dict[str, str] = {}
    callers: dict[str, set[str]] = {}
    for report in reports:
        operations.update(report.get("operations", {}))
        for operation, tests in report.get("callers", {}).items():
            callers.setdefault(operation, set()).update(tests)
    return {
        "source": ", ".join(sorted(sources)),
        "checked": dict(checked),
        "undocumented_error_statuses": dict(undocumented),
        "deviations": list(deviations.values()),
        "operations": operations,
        "callers": {op: sorted(tests) for op, tests in callers.items()},
    }


def api_coverage(report: dict[str, Any]) -> dict[str, Any]:
    """Which of the document's operations the run called, with the tests that called each; the rest listed."""
    operations = report.get("operations", {})
    callers = report.get("callers", {})
    called = {op: {"operation": operations.get(op, op), "tests": tests} for op, tests in sorted(callers.items())}
    return {
        "budapp": {
            "source": report.get("source", ""),
            "operations_in_document": len(operations),
            "operations_called": len(called),
            "called": called,
            "not_called": sorted(label for op, label in operations.items() if op not in callers),
        }
    }
