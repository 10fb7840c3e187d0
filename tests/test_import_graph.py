"""The layering rules, checked on the source: the core never imports Qt or the player, a layer
imports only from itself or below, and no module imports itself back through others."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lower numbers are lower layers; one number may hold several packages that must not know of
# each other (history, playlists and sound all sit on the library).
CORE_LAYERS: dict[str, int] = {
    "core": 0,
    "library": 1,
    "history": 2,
    "playlists": 2,
    "sound": 2,
    "discovery": 3,
    "remote": 4,
    "app": 5,
    "server": 6,
    "train": 6,  # data, teachers, the student: what `evaluate sound` scores
    "evaluate": 7,
    "cli": 7,
    "__main__": 8,
}
COMMAND_MODULES: dict[str, int] = {"recommender.train.__main__": 8}
"""Commands inside a package that sit above it (training reports the evaluation)."""
PLAYER_LAYERS: dict[str, int] = {
    "widgets": 0,
    "workers": 1,  # the jobs, the events and the ViewContext (which names track menu types)
    "library": 2,
    "playback": 2,
    "settings": 3,
    "history": 3,
    "playlists": 3,
    "discovery": 4,
    "desktop": 4,
    "shell": 5,
    "__main__": 6,
}
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
LAYERED = ("recommender", "player")
"""Packages whose layering and cycles are checked."""


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


@cache
def _graph() -> dict[str, set[str]]:
    """module -> every project module it imports (at any depth in the file, lazy ones too)."""
    modules = {**_modules("recommender"), **_modules("player")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                if target.startswith(QT_MODULES):
                    deps.add(target.split(".")[0])
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def _layer(module: str) -> tuple[str, int] | None:
    if module in COMMAND_MODULES:
        return module, COMMAND_MODULES[module]
    parts = module.split(".")
    table = CORE_LAYERS if parts[0] == "recommender" else PLAYER_LAYERS
    if len(parts) < 2 or parts[1] not in table:
        return None  # the package's own __init__: its version string, nothing else
    return f"{parts[0]}.{parts[1]}", table[parts[1]]


def test_every_package_has_a_layer() -> None:
    unplaced = {
        ".".join(m.split(".")[:2]) for m in _graph() if m.count(".") >= 1 and _layer(m) is None
    }
    assert not unplaced, f"give these packages a layer in this test: {sorted(unplaced)}"


def test_the_core_never_imports_qt_or_the_player() -> None:
    bad = [
        f"{m} imports {d}"
        for m, deps in _graph().items()
        if m.startswith("recommender")
        for d in deps
        if d.startswith(("player", *QT_MODULES))
    ]
    assert not bad, "\n".join(bad)


def test_a_layer_imports_only_from_itself_or_below() -> None:
    bad = []
    for module, deps in _graph().items():
        if not module.startswith(LAYERED):
            continue
        here = _layer(module)
        for dep in deps:
            there = _layer(dep) if dep.startswith(("recommender.", "player.")) else None
            if here is None or there is None or here[0] == there[0]:
                continue
            if not module.startswith(dep.split(".")[0]):
                continue  # the player using the core is the point
            if there[1] >= here[1]:
                bad.append(f"{module} ({here[0]}) imports {dep} ({there[0]})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state and node.startswith(LAYERED):
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_sees_real_imports() -> None:
    """Guards the checks above against a parser that finds nothing."""
    graph = _graph()
    assert "recommender.library.store" in graph["recommender.library.tracks"]
    assert "PySide6" in graph["player.shell.main_window"]
