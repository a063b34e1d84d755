"""The layers of the code: shared/ (contracts and runtime) below services/, the node tooling (cascade/) above both.

Read from the source with ``ast`` (nothing is imported): every import,
including those inside functions, relative ones resolved, counts.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services", "cascade")


def modules(packages=PACKAGES) -> dict[str, Path]:
    """Every module of the project's own packages, by dotted name (a package by its ``__init__``)."""
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports: ``from a import b`` is ``a.b`` when that is a module, else ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` of a module we do not have (a name in a module): the nearest module we have.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph(packages=PACKAGES) -> dict[str, set[str]]:
    found = modules(packages)
    known = set(modules())  # edges into the other packages count too, for the layer checks
    return {name: imported(name, path, known) for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, …, a]``, or None when the graph is a DAG."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and nxt in graph:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_shared_imports_neither_a_service_nor_the_node_tooling():
    graph = import_graph(("shared",))
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        for target in targets
        if target.split(".")[0] in ("services", "cascade")
    )
    assert not wrong, "shared/ is contracts and runtime only:\n" + "\n".join(wrong)


def test_services_do_not_import_the_node_tooling():
    graph = import_graph(("services",))
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        for target in targets
        if target.split(".")[0] == "cascade"
    )
    assert not wrong, "cascade/ sits above the services:\n" + "\n".join(wrong)


def test_the_project_modules_import_each_other_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_check_sees_a_cycle_and_resolves_relative_imports(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    module = tmp_path / "m.py"
    module.write_text("from . import node\nfrom .node import x\nfrom ..shared import bus\ndef f():\n    import pkg.z\n")
    known = {"pkg", "pkg.sub", "pkg.sub.node", "pkg.shared.bus", "pkg.z"}
    assert imported("pkg.sub.m", module, known) == {"pkg.sub.node", "pkg.shared.bus", "pkg.z"}


# ---------------------------------------------------------------- the gateway: a core and feature packages

GATEWAY = "services.gateway"
FEATURES = f"{GATEWAY}.features"


def route_modules() -> set[str]:
    """The gateway's modules that define routes: those whose source makes an ``APIRouter(``."""
    return {
        name
        for name, path in modules(("services",)).items()
        if name.startswith(GATEWAY + ".") and "APIRouter(" in path.read_text(encoding="utf-8")
    }


def feature_of(name: str) -> str | None:
    """``services.gateway.features.notices.pages`` → ``notices``; None outside the features."""
    rest = name.removeprefix(FEATURES + ".")
    return rest.split(".")[0] if rest != name else None


def test_no_gateway_route_module_imports_another_route_module_or_another_feature():
    graph, routes = import_graph(("services",)), route_modules()
    assert len(routes) >= 10 and all(feature_of(r) for r in routes), sorted(routes)  # the check sees the routes
    wrong = sorted(
        f"{name} imports {target}"
        for name in routes
        for target in graph[name]
        if target in routes or (feature_of(target) and feature_of(target) != feature_of(name))
    )
    assert not wrong, (
        "a route module imports core/, shared/ and its own feature's helpers, never another "
        "route module or feature:\n" + "\n".join(wrong)
    )


def test_only_the_composition_root_imports_the_features():
    graph = import_graph(("services",))
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        for target in targets
        if (target == FEATURES or target.startswith(FEATURES + "."))
        and name != f"{GATEWAY}.app"
        and feature_of(name) != feature_of(target)
    )
    assert not wrong, "only services/gateway/app.py knows the features (core/ knows none):\n" + "\n".join(wrong)
