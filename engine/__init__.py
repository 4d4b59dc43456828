"""sales-expert's consultation engine on durable-rules.

from engine import consult
result = consult({"customer": {...}})
result.value("value_tier"), result.trace, result.ruleset_version
"""

import engine.advice  # noqa: F401  (installs the modules' advice into the engine)
from engine.api import consult, default_engine
from engine.compiler import CompiledRuleBase, compile_rulebase
from engine.core import Engine
from engine.errors import (
    EngineError,
    FieldProblem,
    FiringBudgetExceeded,
    InputError,
    KnowledgeBaseError,
    RuleConflictError,
    RuleExecutionError,
    SalesExpertError,
)
from engine.result import Conclusion, HowStep, Result, WhyNot
from engine.trace import AssertedFact, MatchedFact, TraceStep

__all__ = [
    "AssertedFact",
    "CompiledRuleBase",
    "Conclusion",
    "Engine",
    "EngineError",
    "FieldProblem",
    "FiringBudgetExceeded",
    "HowStep",
    "InputError",
    "KnowledgeBaseError",
    "MatchedFact",
    "Result",
    "RuleConflictError",
    "RuleExecutionError",
    "SalesExpertError",
    "TraceStep",
    "WhyNot",
    "compile_rulebase",
    "consult",
    "default_engine",
]
