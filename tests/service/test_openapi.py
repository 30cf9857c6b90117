"""``GET /v1/openapi.json``: a valid OpenAPI 3.1 document of every route, and schemathesis runs it against
the real service (a subprocess on an ephemeral port) with the client token and with the admin token:
no 5xx, and every answer's status, content type and body as the document says.

The schemathesis run is bounded (a few examples per operation, hypothesis derandomized: the same
examples on every run) so that it adds well under a minute to the suite.
"""

import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from applet.domain.errors import InvalidInput
from applet.domain.products import LicenseMode
from applet.service.api import OTHER_ROUTES, ROUTES, build_app
from applet.service.api.bodies import (
    GroupMembersBody,
    LicenseRequestBody,
    LicensesAddBody,
    ObserveBody,
    ReplicationBody,
    ResetBody,
    typed_body,
)
from applet.service.api.openapi import build_document
from applet.service.tokens import Role
from applet.store import Store

RunningService = Any

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Generated examples per operation (and per set of path names): a few keep the suite's run short;
# LLS_SCHEMATHESIS_EXAMPLES=200 explores further (the examples are the same on every run of a count).
EXAMPLES = int(os.environ.get("LLS_SCHEMATHESIS_EXAMPLES", "8"))
# Stopping the service would end the run; shutdown is checked on its own below.
NOT_FUZZED = {"POST /v1/admin/shutdown"}
# Names that exist in the seeded store, so that the fuzzing reaches past "no such product" too.
KNOWN_NAMES = {"name": "SQL Server", "user": "alice", "which": "products"}
GROUP_PATHS = "/v1/admin/groups/"
ADMIN_ONLY = {f"{route.method} {route.path}" for route in ROUTES + OTHER_ROUTES if route.role is Role.ADMIN}


def _seed(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("SQL Server", "admin", version="7.0", limit=5, agreed=True)
        store.products.add("Exchange", "admin", limit=2, mode=LicenseMode.PER_SEAT, agreed=True)
        store.groups.add("Sales", 2, "admin", "the sales team")


@pytest.fixture
def seeded_service(
    start_service: Any, data_dir: Path, lls: Callable[..., Any], tmp_path: Path
) -> Iterator[tuple[RunningService, str]]:
    """A master (one server enrolled) with products, a group, leases, events and usage; a lease's handle."""
    _seed(data_dir)
    assert lls("enterprise", "enroll", "S1", "--token-file", str(tmp_path / "S1.token")).code == 0
    service = start_service("--heartbeat", "60", "--expiry", "600")
    client = service.client()
    held = client.request("SQL Server", "alice")
    client.request("Exchange", "bob")
    status, _ = service.http(
        "POST", "/v1/admin/groups/Sales/members", {"operation": "add", "users": ["bob"]}, token="admin"
    )
    assert status == 200
    yield service, held.handle


def _document(service: RunningService) -> dict[str, Any]:
    with urllib.request.urlopen(service.url + "/v1/openapi.json", timeout=10) as response:  # no token
        assert response.status == 200 and response.headers["Content-Type"].startswith("application/json")
        document: dict[str, Any] = json.loads(response.read())
    return document


def test_document_is_valid_openapi_3_1_and_generated_from_the_code(service: RunningService) -> None:
    document = _document(service)
    validate(document)  # the OpenAPI 3.1 meta-schema (and each schema's JSON Schema 2020-12 dialect)
    assert document["openapi"] == "3.1.0"
    assert document == json.loads(json.dumps(build_document(ROUTES + OTHER_ROUTES)))
    schemes = document["components"]["securitySchemes"]
    assert {name: scheme["scheme"] for name, scheme in schemes.items()} == {
        "clientToken": "bearer",
        "adminToken": "bearer",
    }
    licenses = document["paths"]["/v1/licenses"]["post"]
    assert licenses["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LicenseRequestBody"
    }
    assert {"200", "400", "401", "404", "409", "413", "429"} <= set(licenses["responses"])
    assert document["paths"]["/v1/admin/reset"]["post"]["security"] == [{"adminToken": []}]


def test_every_route_is_in_the_document() -> None:
    paths = build_document(ROUTES + OTHER_ROUTES)["paths"]
    for route in ROUTES:
        assert route.method.lower() in paths.get(route.path, {}), (route.method, route.path)
    # ...and every route the application serves, those other modules register included.
    app = build_app(object())  # type: ignore[arg-type]  # the context is not used to register routes
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert served == documented


ASKED = {"product": "P", "user": "a"}


@pytest.mark.parametrize(
    ("body_type", "data", "message"),
    [
        (LicenseRequestBody, {"user": "alice"}, "product is required"),
        (LicenseRequestBody, {"product": 5, "user": "a"}, "product must be text, not a whole number"),
        (LicenseRequestBody, {**ASKED, "admin": "yes"}, "admin must be true or false, not text"),
        (LicenseRequestBody, {**ASKED, "client": ["x"]}, "client must be text or null, not a list"),
        (LicenseRequestBody, {**ASKED, "lease_seconds": -1}, "lease_seconds must be more than 0"),
        (LicenseRequestBody, {**ASKED, "version": "v" * 129},
         "version must be text of at most 128 characters"),
        (LicensesAddBody, {"quantity": "5"}, "quantity must be a whole number, not text"),
        (LicensesAddBody, {"quantity": 0}, "quantity must be at least 1"),
        (LicensesAddBody, {"quantity": 2**70}, "quantity must be at most 1,000,000"),
        (LicensesAddBody, {"quantity": 1, "administrator": 3},
         "administrator must be text or null, not a whole number"),
        (ObserveBody, {"tcp_port": 70000}, "tcp_port must be at most 65535"),
        (GroupMembersBody, {"operation": "move", "users": []}, "operation must be add or remove, not 'move'"),
        (GroupMembersBody, {"operation": "add", "users": ["a", 2]},
         "users[1] must be text, not a whole number"),
        (ReplicationBody, {"every_hours": "24"}, "every_hours must be a whole number, not text"),
        (ResetBody, {}, "target is required"),
    ],
)  # fmt: skip
def test_a_body_that_does_not_fit_is_one_line_naming_the_field(
    body_type: type[Any], data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        typed_body(data, body_type)
    assert str(refused.value) == message


def _known_good(handle: str) -> list[tuple[str, str, dict[str, str], dict[str, Any] | None]]:
    """Calls that succeed with the admin token, in an order that keeps the seeded store usable.

    Random bodies rarely get past the store's rules (a product that exists, the agreement): these make
    sure the document's 200 answers are checked too. Each is (method, path, path parameters, body).
    """
    word, support = {"name": "Word"}, {"name": "Support"}
    return [
        ("POST", "/v1/licenses", {}, {"product": "SQL Server", "user": "carol", "client": "ws9"}),
        ("GET", "/v1/licenses/{handle}", {"handle": handle}, None),
        ("POST", "/v1/licenses/{handle}/heartbeat", {"handle": handle}, None),
        ("POST", "/v1/admin/products", {}, {"name": "Word", "limit": 1, "agree": True}),
        ("POST", "/v1/admin/products/{name}/licenses", word, {"quantity": 2, "agree": True}),
        ("POST", "/v1/admin/products/{name}/licenses/remove", word, {"quantity": 1}),
        ("POST", "/v1/admin/products/{name}/observe", word, {"sessions": True, "tcp_port": 0}),
        ("POST", "/v1/admin/products/{name}/mode", word, {"mode": "per-seat", "agree": True}),
        ("POST", "/v1/admin/groups", {}, {"name": "Support", "licenses": 1}),
        ("POST", "/v1/admin/groups/{name}/members", support, {"operation": "add", "users": ["carol"]}),
        ("POST", "/v1/admin/groups/{name}", support, {"description": "second line"}),
        ("DELETE", "/v1/admin/clients/{user}", {"user": "bob"}, {}),
        ("POST", "/v1/admin/replication", {}, {"frequency": "every", "every_hours": 12}),
        ("POST", "/v1/admin/reset", {}, {"target": "usage"}),
        ("DELETE", "/v1/admin/groups/{name}", support, {}),
        ("DELETE", "/v1/admin/products/{name}", word, {}),
        ("POST", "/v1/licenses/{handle}/free", {"handle": handle}, None),
    ]


class Fuzzing:
    """Runs cases against one service with one token, checking each answer against the document."""

    def __init__(self, service: RunningService, schema: Any, admin: bool) -> None:
        self.service = service
        self.schema = schema
        self.admin = admin
        self.headers = {"Authorization": f"Bearer {service.token(admin=admin)}"}
        self.session = requests.Session()  # one connection for every case, as a client would
        self.answered: dict[str, set[int]] = {}  # statuses per operation ("POST /v1/licenses")
        self.failures: list[str] = []

    def check(self, case: Any, path: str) -> None:
        """Send ``case``; schemathesis's checks raise on a 5xx or an answer off the document."""
        response = case.call_and_validate(
            base_url=self.service.url, session=self.session, headers=self.headers, checks=CHECKS
        )
        self.answered.setdefault(f"{case.method} {path}", set()).add(response.status_code)

    def known_good(self, handle: str) -> None:
        for method, path, names, body in _known_good(handle):
            operation = self.schema[path][method]
            case = (
                operation.Case(path_parameters=names)
                if body is None
                else operation.Case(path_parameters=names, body=body, media_type="application/json")
            )
            self.attempt(f"{method} {path}", lambda case=case, path=path: self.check(case, path))

    def generated(self, max_examples: int) -> None:
        """Every operation, with generated data; then again with names that exist, where it has some."""
        operations = [result.ok() for result in self.schema.get_all_operations()]
        operations.sort(key=lambda operation: operation.method.upper() == "DELETE")  # deletions last
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"
            if label in NOT_FUZZED:
                continue
            names = {name: KNOWN_NAMES[name] for name in KNOWN_NAMES if "{" + name + "}" in operation.path}
            if operation.path.startswith(GROUP_PATHS) and names:
                names["name"] = "Sales"
            strategies = [operation.as_strategy()]
            if names:
                strategies.append(operation.as_strategy(path_parameters=names))
            # With the client token an admin route answers 403 whatever it is sent: a few examples do.
            examples = max_examples if self.admin or label not in ADMIN_ONLY else 2
            for strategy in strategies:
                self.attempt(label, self._examples(strategy, operation.path, examples))

    def _examples(self, strategy: Any, path: str, max_examples: int) -> Callable[[], None]:
        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,  # the same examples on every run
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            self.check(case, path)

        return run

    def attempt(self, label: str, run: Callable[[], None]) -> None:
        try:
            run()
        except (Exception, FailureGroup) as failure:  # every operation's failure, then report them all
            self.failures.append(f"{label}: {failure}")


@pytest.mark.parametrize("role", ["client", "admin"])
def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(
    seeded_service: tuple[RunningService, str], role: str
) -> None:
    service, handle = seeded_service
    schema = schemathesis.openapi.from_dict(_document(service))
    fuzzing = Fuzzing(service, schema, admin=role == "admin")
    started = time.monotonic()
    fuzzing.known_good(handle)
    fuzzing.generated(max_examples=EXAMPLES)
    seconds = time.monotonic() - started
    answered = fuzzing.answered
    print(f"schemathesis ({role} token): {len(answered)} operations in {seconds:.1f} s: {answered}")
    assert fuzzing.failures == [], "\n\n".join(fuzzing.failures)
    # Every operation was called, and the calls reached past the role check and bad input.
    assert len(answered) == sum(len(item) for item in schema.raw_schema["paths"].values()) - len(NOT_FUZZED)
    succeeded = {operation for operation, statuses in answered.items() if 200 in statuses}
    good = {f"{method} {path}" for method, path, _, _ in _known_good(handle)}
    if role == "client":
        assert not any("/admin/" in operation for operation in succeeded)
        assert {operation for operation in good if "/admin/" not in operation} <= succeeded
    else:
        assert good <= succeeded, good - succeeded
    assert service.http("GET", "/v1/health", token=None)[0] == 200


def test_shutdown_answer_matches_the_document(service: RunningService) -> None:
    schema = schemathesis.openapi.from_dict(_document(service))
    operation = schema["/v1/admin/shutdown"]["POST"]
    case = operation.Case()
    case.call_and_validate(
        base_url=service.url, headers={"Authorization": f"Bearer {service.token(admin=True)}"}, checks=CHECKS
    )
    assert service.process.wait(timeout=15) == 0


# Defects schemathesis found, one regression test each.


def test_replicate_now_without_a_master_is_a_refusal_not_a_server_error(
    service: RunningService, lls: Callable[..., Any], tmp_path: Path
) -> None:
    # A fresh store (Domain Controller, on a machine without a DNS domain) answered 502 Bad Gateway,
    # as if a master had failed, when there is nothing to look up: nothing was tried.
    status, body = service.http("POST", "/v1/admin/replication/now", {}, token="admin")
    assert status == 409 and "no master found" in body["error"] and "domain" in body["error"], body
    refused = lls("replication", "now")
    assert refused.code == 2 and "no master found" in refused.stderr and refused.stderr.count("\n") == 1
    # An Enterprise Server without an enrolment token: the same.
    changed = {"master": "enterprise-server", "enterprise_server": "lic-master"}
    assert service.http("POST", "/v1/admin/replication", changed, token="admin")[0] == 200
    status, body = service.http("POST", "/v1/admin/replication/now", {}, token="admin")
    assert status == 409 and "no enrolment token for lic-master" in body["error"], body
