"""Engine throughput: the stock durable-rules host path (a) against this project's engine (b).

    .venv/bin/python -m benchmarks.bench_engine [--cases 3000] [--rounds 5] [--json]

(a) durable-rules' own Python host (``Host`` with its timer threads disabled), the project's
    compiled rule base registered with plain actions that assert each conclusion, the facts
    asserted and read back (``get_facts``) per consultation, no trace, no explanation.
(b) ``Engine.consult``: validation, inference through the engine's own driver of the C core,
    the full trace, "how" and "why not" explanations and the modules' enrichment (principal
    reasons, rankings); the "what would change it" search, which re-runs inference tens of
    times, is measured on its own as the UI's full consultation (target: p95 within 100 ms).
    Two cut-down paths show where the time goes: (b') validation, inference and the full
    trace; (b'') that plus every conclusion's "how" and "why not" — (b) without the advice.

Both get the same generated cases and the same facts. (a) and (b) run in alternating rounds so
that load from other processes on the machine hits both alike. Peak memory is measured in a
fresh subprocess per path (max RSS). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from durable import engine as durable_engine

from benchmarks.cases import generate_cases
from engine import default_engine
from engine.compiler import CompiledRuleBase, core_conclusion, core_fact
from engine.core import assemble
from engine.formulas import compile_formula
from engine.host import ANCHOR_DEFINITION, ANCHOR_RULE, RULESET, SyncHost
from engine.intake import Fact, case_facts, parse_case

Run = Callable[[dict[str, Any]], object]
SECTIONS_BENCH: tuple[str, ...] | None = None  # every section: full cases


def stock_path(compiled: CompiledRuleBase) -> Run:
    """(a): the stock host with plain actions; facts asserted, read back, session deleted."""
    kb = compiled.knowledge

    def action_for(rule_id: str) -> Callable[[Any], None]:
        rule = compiled.rules[rule_id]
        calculations = {
            c.formula: compile_formula(kb.formulas[c.formula], kb) for c in rule.then if c.formula
        }

        def action(c: Any) -> None:
            for conclude in rule.then:
                value: Any = conclude.value
                if conclude.formula is not None:
                    value = calculations[conclude.formula](c._m)[0]
                with contextlib.suppress(
                    durable_engine.MessageNotHandledException,
                    durable_engine.MessageObservedException,
                ):
                    c.assert_fact(core_conclusion(conclude.topic, value))

        return action

    definition = {
        rid: {**copy.deepcopy(d), "run": action_for(rid)} for rid, d in compiled.definitions.items()
    }
    definition[ANCHOR_RULE] = {**copy.deepcopy(ANCHOR_DEFINITION), "run": lambda c: None}
    host = SyncHost()
    host.register_rulesets({RULESET: definition})

    def run(case: dict[str, Any]) -> object:
        facts: list[Fact] = compiled.engine_facts(case_facts(parse_case(case)))
        sid = uuid.uuid4().hex
        try:
            for fact in facts:
                with contextlib.suppress(durable_engine.MessageNotHandledException):
                    host.assert_fact(RULESET, {**core_fact(fact), "sid": sid})
            return host.get_facts(RULESET, sid)
        finally:
            host.delete_state(RULESET, sid)

    return run


def project_path() -> Run:
    """(b): the public engine API, everything included."""
    engine = default_engine()

    def run(case: dict[str, Any]) -> object:
        return engine.consult(case, what_if=False)

    return run


def ui_latency(count: int) -> dict[str, float]:
    """A full consultation as the UI asks for it: with the "what would change it" search."""
    engine = default_engine()
    cases = generate_cases(count, seed=99, sections=SECTIONS_BENCH)
    for case in cases[:20]:
        engine.consult(case)
    latencies: list[float] = []
    timed(lambda case: engine.consult(case), cases, latencies)
    return {
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def trace_path() -> Run:
    """(b'): the engine's inference with the full trace, before explanation and enrichment."""
    engine = default_engine()

    def run(case: dict[str, Any]) -> object:
        return engine.infer(parse_case(case))

    return run


def explained_path() -> Run:
    """(b''): inference with the full trace and every conclusion's "how" and "why not", before
    the modules' advice (principal reasons, strategy rankings, evidence)."""
    engine = default_engine()

    def run(case: dict[str, Any]) -> object:
        parsed = parse_case(case)
        facts = case_facts(parsed)
        firing = engine.infer(parsed, facts)
        return assemble(engine.explainer("en"), firing, {f["t"]: f for f in facts})

    return run


def timed(run: Run, cases: list[dict[str, Any]], latencies: list[float]) -> float:
    start = time.perf_counter()
    for case in cases:
        begin = time.perf_counter()
        run(case)
        latencies.append(time.perf_counter() - begin)
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def peak_rss_mb(path: str, cases: int) -> float:
    """Max RSS of a fresh process running one path over the cases (MB)."""
    code = (
        f"from benchmarks.bench_engine import _peak_child; "
        f"_peak_child({path!r}, {cases}, {SECTIONS_BENCH!r})"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _peak_child(path: str, cases: int, sections: tuple[str, ...] | None = None) -> None:
    runs = {
        "a": lambda: stock_path(default_engine().compiled),
        "b": project_path,
        "b_trace": trace_path,
        "b_explained": explained_path,
    }
    run = runs[path]()
    for case in generate_cases(cases, sections=sections):
        run(case)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(count: int, rounds: int) -> dict[str, Any]:
    cases = generate_cases(count, sections=SECTIONS_BENCH)
    paths = {
        "a": stock_path(default_engine().compiled),
        "b": project_path(),
        "b_trace": trace_path(),
        "b_explained": explained_path(),
    }
    for run in paths.values():  # warm-up: first-use caches, lazily built structures
        for case in cases[:200]:
            run(case)
    seconds = dict.fromkeys(paths, 0.0)
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    chunk = max(1, count // rounds)
    for start in range(0, count, chunk):
        for name, run in paths.items():
            seconds[name] += timed(run, cases[start : start + chunk], latencies[name])
    report: dict[str, Any] = {"cases": count, "ruleset_version": default_engine().version}
    for name in paths:
        report[name] = {
            "consultations_per_s": round(count / seconds[name], 1),
            "p50_ms": round(percentile(latencies[name], 0.50) * 1000, 3),
            "p99_ms": round(percentile(latencies[name], 0.99) * 1000, 3),
            "peak_rss_mb": round(peak_rss_mb(name, min(count, 2000)), 1),
        }
    report["ui_full_consultation"] = ui_latency(min(count, 300))
    for name in ("b_trace", "b_explained", "b"):
        report[f"ratio_{name}_over_a"] = round(
            report[name]["consultations_per_s"] / report["a"]["consultations_per_s"], 2
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sections", help="comma-separated case sections (default: all)")
    args = parser.parse_args()
    global SECTIONS_BENCH
    SECTIONS_BENCH = tuple(args.sections.split(",")) if args.sections else None
    report = measure(args.cases, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['cases']} generated cases, rule base {report['ruleset_version']}")
    for name, title in (
        ("a", "(a) stock durable-rules host, no trace"),
        ("b_trace", "(b') inference + full trace"),
        ("b_explained", "(b'') + how / why-not for every conclusion"),
        ("b", "(b) full consultation: + module advice"),
    ):
        r = report[name]
        print(
            f"{title:48} {r['consultations_per_s']:>9,.0f}/s  p50 {r['p50_ms']:.3f} ms"
            f"  p99 {r['p99_ms']:.3f} ms  peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    print(
        f"ratio b'/a: {report['ratio_b_trace_over_a']:.2f}x   "
        f"b''/a: {report['ratio_b_explained_over_a']:.2f}x   "
        f"b/a: {report['ratio_b_over_a']:.2f}x"
    )
    ui = report["ui_full_consultation"]
    print(
        f"UI full consultation incl. what-would-change: p50 {ui['p50_ms']} ms, "
        f"p95 {ui['p95_ms']} ms, max {ui['max_ms']} ms"
    )


if __name__ == "__main__":
    main()
