"""Post-processing a module adds to a consultation's result, after inference.

Each enricher reads the ``Context`` (engine, case, firing, language) and adds details to the
result's conclusions — e.g. the credit module's ranked reasons and "what would change it",
found by re-running the engine on varied inputs. Inference itself stays in the rules.
"""

from __future__ import annotations

from engine.advice import closing, collection, credit, path_advice
from engine.core import Enricher, register_enrichers

ENRICHERS: tuple[Enricher, ...] = (
    credit.enrich,
    path_advice.enrich,
    collection.enrich,
    closing.enrich,
)

register_enrichers(ENRICHERS)

__all__ = ["ENRICHERS"]
