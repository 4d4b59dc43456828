"""The README documents what the product ships: a parameter missing from it is a finding."""

from __future__ import annotations

from pathlib import Path

from knowledge_base import load_knowledge

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_credit_parameter_is_in_the_readme_with_its_default() -> None:
    section = README[README.index("### Credit assessment") : README.index("### Closing coach")]
    missing = [
        name
        for name, param in load_knowledge().parameters.items()
        if name.startswith("credit.")
        and f"| `{name.removeprefix('credit.')}` | {_shown(param.value)} " not in section
    ]
    assert missing == [], "credit parameters not (or with another default) in the README table"


def _shown(value: float) -> str:
    number = int(value) if float(value).is_integer() else value
    return f"{number:,}" if isinstance(number, int) and abs(number) >= 10_000 else str(number)
