"""The package's shape: no import cycle between modules, no arrow back up between its folders
(the folders' import graph is a DAG, function-level imports included), at most four modules
directly under ``mewo_core/``, each folder named in the README's Architecture section."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mewo_core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, anywhere in its body."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        base = name.split(".") if is_pkg else name.split(".")[:-1]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    head = base[: len(base) - node.level + 1]
                    target = ".".join(head + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target
                           for a in node.names]  # fmt: skip
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.add(t)
        graph[name] = edges
    return graph


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) \
        else "<root>"  # fmt: skip


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    # a package's __init__ re-exporting its own modules is not a cycle of the design
    graph = {m: {t for t in ts if not (m.startswith(t + ".") and t != "mewo_core")}
             for m, ts in graph.items()}  # fmt: skip
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_arrow_back_up_between_folders() -> None:
    folders: dict[str, set[str]] = defaultdict(set)
    for module, targets in import_graph().items():
        for t in targets:
            a, b = _folder(module), _folder(t)
            if a != b and "<root>" not in (a, b):
                folders[a].add(b)
    assert _cycle(dict(folders)) is None, "folders import each other: " + " -> ".join(
        _cycle(dict(folders)) or [])


def test_the_root_holds_at_most_four_modules_and_the_readme_maps_every_folder() -> None:
    root_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root_modules) <= 4, root_modules
    readme = (ROOT / "README.md").read_text()
    architecture = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    for folder in sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert f"`{folder}/`" in architecture, f"{folder}/ is not in the README's Architecture"
    for module in root_modules:
        if module not in ("__init__.py", "__main__.py"):
            assert f"`{module}`" in architecture, module


def test_the_graph_sees_function_level_imports() -> None:
    """The check would miss a lazy import inside a function otherwise (the old explain command
    imported the CLI's output module that way)."""
    graph = import_graph()
    assert "mewo_core.robust.effect" in graph["mewo_core.session.session"]


def test_the_readme_is_short_and_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in readme, f"docs/{page.name} is not linked from the README"
