"""Which sections a case needs (issue 22): a deal alone is coached; credit and collection need
the customer; an empty case is refused; both languages; the audit record of a deal without a
customer names none."""

from __future__ import annotations

import pytest

from engine.api import consult
from engine.audit.store import AuditStore
from engine.errors import InputError
from engine.intake import parse_case
from tests.conftest import CASES, load_golden

DEAL = load_golden(CASES / "closing/deal-only-no-customer.yaml")["case"]["deal"]


@pytest.mark.parametrize(
    ("case", "lang", "message"),
    [
        (
            {
                "deal": DEAL,
                "credit": load_golden(CASES / "credit/approve-most-valuable.yaml")["case"][
                    "credit"
                ],
            },
            "en",
            "the customer section is required with the credit request section: its rules read "
            "the customer (only a deal can be coached without one)",
        ),
        (
            {},
            "zh",
            "案例至少须有一个部分：客户（可另加授信申请或逾期账款），或供成交辅导使用的交易情况",
        ),
    ],
)
def test_sections_a_case_needs(case: dict[str, object], lang: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_case(case, lang)
    assert [(p.field, p.message) for p in refused.value.problems] == [("customer", message)]


def test_a_deal_without_a_customer_is_recorded_without_one(tmp_path: object) -> None:
    with AuditStore(f"sqlite:///{tmp_path}/a.db") as store:
        result = consult({"deal": DEAL}, store=store, actor="rita", role="rep")
        assert result.audit_id is not None
        assert store.get(result.audit_id).customer_id is None
        assert [s.module for s in result.summary] == ["closing"]
