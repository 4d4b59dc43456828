"""The Knowledge base page's graphs of how the rules chain: a module's whole network, or the
rules behind one conclusion (``engine.graph.topic_dot``), at the page's width or larger.

A module's network has up to a few hundred nodes; drawn at the page's width its labels are too
small to read, so the graph can be drawn wider (``ZOOMS``, in pixels) inside a box that scrolls
across, and a single conclusion's rules make a picture small enough to read anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from engine.api import default_engine
from engine.graph import concluded_topics, network_dot, topic_dot
from ui.i18n import kb, labeller, lang, t

PAGE = "knowledge"
VIEWS = ("module", "topic")
ZOOMS: tuple[int, ...] = (0, 1600, 2400, 3600)
"""0: fit the page; else the graph's width in pixels."""
DEPTHS = (1, 2, 3)


def _topic_label(topic: str) -> str:
    found = kb().topics[topic]
    return f"{t(f'module.{found.module}')} · {found.label.get(lang())}"


def _module_graph(modules: list[str], module_label: Callable[[str | None], str]) -> str:
    left, right = st.columns([1, 2])
    options = [*modules, None]
    module = left.selectbox(
        t("knowledge.graph_module"),
        options,
        format_func=labeller(options, module_label),
        key=f"{PAGE}_graph_module",
    )
    overview = right.toggle(
        t("knowledge.overview"), key=f"{PAGE}_overview", help=t("knowledge.overview_help")
    )
    st.caption(t("knowledge.graph_legend"))
    chosen = None if module is None else str(module)
    rules = default_engine().compiled.rulebase.rules
    return network_dot(rules, kb(), lang(), chosen, overview or chosen is None)


def _topic_graph() -> str:
    left, right = st.columns([2, 1])
    rules = default_engine().compiled.rulebase.rules
    topics = concluded_topics(rules, kb())
    topic = left.selectbox(
        t("knowledge.graph_topic"),
        topics,
        format_func=labeller(topics, _topic_label),
        key=f"{PAGE}_graph_topic",
    )
    depth = right.select_slider(
        t("knowledge.graph_depth"),
        DEPTHS,
        key=f"{PAGE}_graph_depth",
        help=t("knowledge.graph_depth_help"),
    )
    st.caption(t("knowledge.graph_topic_legend"))
    return topic_dot(rules, kb(), lang(), str(topic), int(depth))


def _zoom_label(zoom: int) -> str:
    return t("knowledge.graph_zoom_fit") if zoom == 0 else f"{zoom:,} px"


def network_tab(modules: list[str], module_label: Callable[[str | None], str]) -> None:
    """The view chosen (a module, or one conclusion), drawn at the chosen size."""
    left, right = st.columns([2, 1])
    view = left.radio(
        t("knowledge.graph_view"),
        VIEWS,
        format_func=labeller(VIEWS, lambda v: t(f"knowledge.graph_view_{v}")),
        horizontal=True,
        key=f"{PAGE}_graph_view",
    )
    zoom = right.radio(
        t("knowledge.graph_zoom"),
        ZOOMS,
        format_func=labeller(ZOOMS, _zoom_label),
        horizontal=True,
        key=f"{PAGE}_graph_zoom",
        help=t("knowledge.graph_zoom_help"),
    )
    dot = _module_graph(modules, module_label) if view == "module" else _topic_graph()
    if zoom == 0:
        st.graphviz_chart(dot, width="stretch")
        return
    box = f"{PAGE}_graph_box"
    # Streamlit keeps a chart within the page's width: the box scrolls across instead, and the
    # drawing takes the chosen width (a fixed rule with numbers only: nothing typed goes in)
    st.html(
        f"<style>.st-key-{box} {{overflow-x: auto;}} "
        f'.st-key-{box} [data-testid="stGraphVizChart"], '
        f'.st-key-{box} [data-testid="stGraphVizChart"] svg '
        f"{{width: {int(zoom)}px !important; max-width: none !important; height: auto;}}</style>"
    )
    with st.container(key=box):
        st.graphviz_chart(dot, width=int(zoom))


__all__ = ["network_tab"]
