"""Property-based fuzzing of the served OpenAPI document with schemathesis: whatever is sent, the
API never answers 5xx and its responses conform to the document (status, content type, schema)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from engine.domain.access import Official
from engine.domain.applicant import Applicant
from engine.services.payments import FakeGateway
from tests.api.conftest import AGENCY
from tests.support.feedback import publish_feedback_procedure

FUZZ_USER = Official("fuzzer", AGENCY, frozenset({"one_stop_officer", "agency_head", "official", "approver"}), "Fuzzer")
FUZZ_APPLICANT = Applicant("001085012345", "Nguyễn Văn An")
_CURRENT: dict = {}


@schemathesis.auth(refresh_interval=None)
class FuzzerToken:
    """A fresh token for every call: the fuzzer may well log itself out. The applicants' operations
    (/api/public, issue 10) get an applicant's token."""

    def get(self, case, context):
        app, services = _CURRENT["app"], _CURRENT["services"]
        if case.operation.path.startswith("/api/public"):
            token, _ = app.extensions["motcua_citizen_tokens"].issue(FUZZ_APPLICANT, services.clock.now())
            return token
        token, _ = app.extensions["motcua_tokens"].issue(FUZZ_USER, services.clock.now())
        return token

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def fuzz_api(api, app, services):
    # Some real objects for the fuzzer to find: dossiers with ready tasks.
    services.accounts.add("fuzzer", AGENCY, sorted(FUZZ_USER.roles), password="mật-khẩu-đủ-dài-1")
    for _ in range(2):
        api.register()
    services.applicants.submit(FUZZ_APPLICANT, "P", {})  # and one of the fuzzing applicant's
    services.applicants.gateway = FakeGateway()  # online payment offered (else 503, not a fuzzing find)
    publish_feedback_procedure(services)  # feedback cases run on PAKN-01 (else 503, not a fuzzing find)
    _CURRENT.update(app=app, services=services)
    yield app
    _CURRENT.clear()


# A schema-valid request may still break a rule of the regulations (a postal dossier received in
# the future, an unknown official, a file whose content is not an accepted type): the API answers
# 415 or 422 for those, which counts as accepted here; so does 429 (too many failed logins from the
# fuzzer's one address).
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "415", "422", "429"]}}})


@pytest.fixture
def fuzz_schema(fuzz_api):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_api, config=CONFIG)


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_never_fails_and_matches_its_document(case, fuzz_api):
    case.call_and_validate()
