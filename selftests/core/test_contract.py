"""The response contract check: operations found by path, bodies validated, deviations grouped and reported."""

import json

import pytest

from helpers.config import SUITE_ROOT
from helpers.contract import ContractChecker, ContractDocumentError, OpenAPIDocument, api_coverage, merge_reports

ITEM = {
    "type": "object",
    "required": ["id", "name"],
    "additionalProperties": False,
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}
DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items/": {
            "get": {
                "operationId": "list_items",
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                                    },
                                }
                            }
                        }
                    }
                },
            }
        },
        "/items/{item_id}": {
            "get": {
                "operationId": "show_item",
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                    "404": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            },
            "delete": {"operationId": "delete_item", "responses": {"204": {"description": "gone"}}},
        },
        "/items/recent": {"get": {"operationId": "recent_items", "responses": {"default": {"description": "any"}}}},
    },
    "components": {
        "schemas": {
            "Item": ITEM,
            "Error": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
        }
    },
}


def checker(known=None) -> ContractChecker:
    return ContractChecker(OpenAPIDocument(DOCUMENT, "spec.json"), known or {})


def body(value) -> bytes:
    return json.dumps(value).encode()


def operation_id(document: OpenAPIDocument, method: str, path: str) -> str | None:
    found = document.operation(method, path)
    return found.id if found else None


def test_literal_paths_win_over_templates_and_a_trailing_slash_is_tolerated():
    document = OpenAPIDocument(DOCUMENT, "spec.json")
    assert operation_id(document, "GET", "/items/recent") == "recent_items"
    assert operation_id(document, "GET", "/items/42") == "show_item"
    assert operation_id(document, "GET", "/items") == "list_items"
    assert document.operation("POST", "/items/") is None


def test_a_valid_answer_is_counted_and_raises_nothing():
    check = checker()
    check.check("GET", "http://h/items/7", 200, "application/json", body({"id": "7", "name": "seven"}), "t::a")
    check.check(
        "GET", "http://h/items/?page=2", 200, "application/json", body({"items": [{"id": "1", "name": "one"}]}), "t::a"
    )
    check.check("DELETE", "http://h/items/7", 204, "", b"", "t::a")
    assert check.checked == {"show_item": 1, "list_items": 1, "delete_item": 1}
    assert check.deviations == {}


def test_schema_violations_name_the_place_not_the_whole_value():
    check = checker()
    long_name = ["x" * 100]
    for item_id in ("1", "2"):
        check.check(
            "GET",
            f"http://h/items/{item_id}",
            200,
            "application/json",
            body({"id": item_id, "name": long_name}),
            "t::first",
        )
    (deviation,) = check.deviations.values()
    assert (deviation.operation, deviation.status, deviation.count, deviation.first_test) == (
        "show_item",
        200,
        2,
        "t::first",
    )
    assert deviation.problem == "name: <list> is not of type 'string'"


def test_an_answer_matching_no_anyof_branch_names_the_closest_branchs_problem():
    """budapp's GET /users/ shape: a $ref beside an anyOf of two other models, neither of which a list matches."""
    document = json.loads(json.dumps(DOCUMENT))
    document["components"]["schemas"]["Strict"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"message": {"type": "string"}},
    }
    document["paths"]["/items/{item_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Item",
        "anyOf": [{"$ref": "#/components/schemas/Strict"}, {"$ref": "#/components/schemas/Error"}],
    }
    check = ContractChecker(OpenAPIDocument(document, "spec.json"), {})
    check.check("GET", "http://h/items/7", 200, "application/json", body({"id": "7", "name": "seven"}), "t::a")
    (deviation,) = check.deviations.values()
    assert deviation.problem == (
        "(body): matches none of the anyOf shapes; closest: (body): Additional properties "
        "are not allowed ('id', 'name' were unexpected)"
    )


def test_missing_fields_unexpected_fields_and_non_json_bodies_deviate():
    check = checker()
    check.check("GET", "http://h/items/1", 200, "application/json", body({"id": "1"}), "t")
    check.check("GET", "http://h/items/1", 404, "application/json", body({"detail": "gone"}), "t")
    check.check("GET", "http://h/items/2", 200, "text/html", b"<html>", "t")
    check.check("GET", "http://h/items/3", 200, "application/json", b"{oops", "t")
    problems = sorted(d.problem for d in check.deviations.values())
    assert problems == [
        "(body): 'message' is a required property",
        "(body): 'name' is a required property",
        "body is not JSON",
        "declared JSON, got content type text/html",
    ]


def test_undeclared_success_deviates_undeclared_error_is_only_counted():
    check = checker()
    check.check("GET", "http://h/items/1", 201, "application/json", body({}), "t")
    check.check("GET", "http://h/items/1", 401, "application/json", body({}), "t")
    check.check("GET", "http://h/items/recent", 500, "application/json", body({}), "t")  # default covers it
    (deviation,) = check.deviations.values()
    assert deviation.problem == "status 201 is not declared (declared: 200, 404)"
    assert check.undocumented == {"show_item 401": 1}


def test_an_operation_outside_the_document_deviates_and_registered_defects_are_marked():
    check = checker(known={"show_item": "BUD-007"})
    check.check("PUT", "http://h/elsewhere/1", 200, "application/json", body({}), "t")
    check.check("GET", "http://h/items/1", 200, "application/json", body({}), "t")
    marks = {d.operation: (d.problem, d.known) for d in check.deviations.values()}
    assert marks == {
        "PUT /elsewhere/1": ("operation not in the document", ""),
        "show_item": ("(body): 'id' is a required property", "BUD-007"),
    }


def test_worker_reports_merge_by_operation_status_and_problem():
    first, second = checker(), checker()
    for part in (first, second):
        part.check("GET", "http://h/items/1", 200, "application/json", body({"id": "1"}), "t")
    second.check("GET", "http://h/items/", 200, "application/json", body({"items": []}), "t")
    merged = merge_reports([first.report(), second.report()])
    assert merged["checked"] == {"show_item": 2, "list_items": 1}
    assert [(d["operation"], d["count"]) for d in merged["deviations"]] == [("show_item", 2)]


def test_api_coverage_names_each_called_operation_with_its_tests_and_lists_the_rest():
    first, second = checker(), checker()
    first.check("GET", "http://h/items/1", 404, "application/json", body({"message": "gone"}), "t::a")
    second.check("GET", "http://h/items/2", 200, "application/json", body({"id": "2", "name": "two"}), "t::b")
    second.check("GET", "http://h/items/", 200, "application/json", body({"items": []}), "t::b")
    coverage = api_coverage(merge_reports([first.report(), second.report()]))["budapp"]
    assert (coverage["operations_in_document"], coverage["operations_called"]) == (4, 2)
    assert coverage["called"] == {
        "list_items": {"operation": "GET /items/", "tests": ["t::b"]},
        "show_item": {"operation": "GET /items/{item_id}", "tests": ["t::a", "t::b"]},
    }
    assert coverage["not_called"] == ["DELETE /items/{item_id}", "GET /items/recent"]


def test_a_document_that_is_not_openapi_is_refused():
    with pytest.raises(ContractDocumentError, match="not an OpenAPI 3 document"):
        OpenAPIDocument({"swagger": "2.0"}, "old.json")


PLUGIN_TEST = """
import httpx
from fixtures.contract import RECORDER


def test_calls():
    for status, payload in ((200, {"id": "1", "name": "one"}), (200, {"id": "2"})):
        request = httpx.Request("GET", "http://budapp/items/1")
        RECORDER.observe("GET", str(request.url), httpx.Response(status, json=payload, request=request))
"""


@pytest.mark.parametrize(("strict", "exit_code"), [("", 0), ("1", 1)])
def test_the_run_reports_deviations_and_strict_mode_fails_it(pytester, monkeypatch, strict, exit_code):
    spec = pytester.path / "spec.json"
    spec.write_text(json.dumps(DOCUMENT))
    monkeypatch.setenv("E2E_OPENAPI_FILE", str(spec))
    monkeypatch.setenv("E2E_CONTRACT_STRICT", strict)
    monkeypatch.setenv("E2E_CONTRACT_REPORT", str(pytester.path / "contract.json"))
    monkeypatch.setenv("PYTHONPATH", str(SUITE_ROOT))
    pytester.makepyfile(test_plugin_run=PLUGIN_TEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "fixtures.contract")
    result.stdout.fnmatch_lines(
        [
            "*response contract*",
            "2 budapp responses of 1 operations checked against *spec.json:"
            " 1 deviation(s), 0 of them registered defects",
            "  GET /items/{item_id} -> 200: (body): 'name' is a required property (x1, first in "
            "test_plugin_run.py::test_calls)",
        ]
    )
    assert result.ret == exit_code
    report = json.loads((pytester.path / "contract.json").read_text())
    assert (report["checked"], len(report["deviations"])) == ({"show_item": 2}, 1)
