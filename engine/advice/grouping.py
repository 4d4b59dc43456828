"""Where a module's advice goes in a result: grouped after the other conclusions, topic by
topic, at the place of the first of them. The closing coach and the collection advice both
present their topics this way."""

from __future__ import annotations

from engine.result import Conclusion, Result


def split_advice(
    result: Result, topics: tuple[str, ...]
) -> tuple[dict[str, list[Conclusion]], list[Conclusion], int]:
    """The module's conclusions by topic (in the order reached), the other conclusions, and
    where among those the module's go (-1 when the result has none). One pass: the result
    holds about a hundred conclusions and every module asks."""
    advice: dict[str, list[Conclusion]] = {}
    rest: list[Conclusion] = []
    place, wanted = -1, frozenset(topics)  # a set: a tuple compares each topic's text
    for conclusion in result.conclusions:
        if conclusion.topic in wanted:
            place = len(rest) if place < 0 else place
            advice.setdefault(conclusion.topic, []).append(conclusion)
        else:
            rest.append(conclusion)
    return advice, rest, place


def place_advice(
    result: Result, rest: list[Conclusion], place: int, grouped: list[Conclusion]
) -> None:
    """Put the module's conclusions, in the order given, back among the others."""
    result.conclusions[:] = [*rest[:place], *grouped, *rest[place:]]
