from __future__ import annotations

import pytest

from tradewind.api.access import principal_from_request_context, require_group
from tradewind.api.problems import Forbidden, ProblemError, Unauthorized, validation_problem
from tradewind.auth.principal import Principal


@pytest.mark.parametrize(
    "groups",
    [["admin", "investor"], "admin,investor", "[admin investor]", "admin, investor"],
)
def test_groups_parse_from_every_shape_cognito_sends(groups: object) -> None:
    principal = Principal.from_claims({"sub": "u-1", "email": "a@example.com", "cognito:groups": groups})
    assert principal.groups == {"admin", "investor"}
    assert principal.user_id == "u-1"


def test_a_user_without_groups_has_none() -> None:
    assert Principal.from_claims({"sub": "u-2"}).groups == frozenset()


def test_missing_claims_are_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        principal_from_request_context({"authorizer": None})


def test_group_rule_forbids_other_groups() -> None:
    investor = principal_from_request_context({"authorizer": {"claims": {"sub": "u", "cognito:groups": "investor"}}})
    with pytest.raises(Forbidden, match="admin"):
        require_group(investor, "admin")
    assert require_group(investor, "investor") is investor


def test_problem_document_follows_rfc7807() -> None:
    problem = ProblemError(409, "run r-1 exists").problem(instance="/runs/r-1")
    assert problem.model_dump(exclude_none=True) == {
        "type": "https://docs.tradewind.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "run r-1 exists",
        "instance": "/runs/r-1",
    }


def test_validation_problem_names_each_field_path() -> None:
    error = validation_problem([{"loc": ("body", "legs", 1, "amount"), "msg": "must be positive"}])
    assert error.status == 422
    assert error.errors == [{"path": "body.legs.1.amount", "message": "must be positive"}]
    assert "body.legs.1.amount: must be positive" in error.detail
