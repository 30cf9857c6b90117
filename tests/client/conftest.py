"""The client tests use the service fixtures of tests/service (the real service as a subprocess).

Under ``--import-mode=importlib`` one conftest cannot import another by module name, so the fixtures
are loaded from the file and re-exported here.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "lls_service_test_fixtures", Path(__file__).parents[1] / "service" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

start_service = _fixtures.start_service
service = _fixtures.service
wait_for = _fixtures.wait_for
