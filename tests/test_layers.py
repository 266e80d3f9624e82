"""Imports go one way, like floors of a house: shop at the bottom, creators and media above it, content
on top (operations, the process glue, knows none of them). A new import that points up fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# readers (reader accounts, share links, rewards) builds on creators' links and ledger: between creators and content.
FLOOR = {"shop": 0, "creators": 1, "media": 1, "readers": 1.5, "content": 2, "privacy": 3}
# operations (health, scheduler) names tasks by dotted path and imports no domain app at all.
NO_DOMAIN_IMPORTS = {"operations"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Absolute imports anywhere in a file (module level or inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def app_files(app: str):
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


def test_apps_import_only_their_own_floor_or_below():
    upward = []
    for app, floor in FLOOR.items():
        for path in app_files(app):
            for line, module in imported_modules(path):
                target = module.split(".")[0]
                if target in FLOOR and target != app and FLOOR[target] >= floor:
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert upward == []


def test_operations_imports_no_domain_app():
    found = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for app in NO_DOMAIN_IMPORTS for path in app_files(app)
             for line, module in imported_modules(path) if module.split(".")[0] in FLOOR]
    assert found == []


def test_the_layer_check_sees_an_upward_import_inside_a_function(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from content.models import HomePage\n")

    assert imported_modules(probe) == [(2, "content.models")]


# --- Services know nothing of HTTP ------------------------------------------------------------
# Services raise shop.errors kinds; only the edges (APIs, views, commands) turn them into statuses.
HTTP_ERROR_MODULES = {"shop.api_errors", "shop.api_edge", "ninja", "ninja.errors", "rest_framework.exceptions"}
HTTP_ERROR_NAMES = {"Http404", "HttpError", "HttpResponse", "JsonResponse", "ApiError"}


def service_files() -> list[Path]:
    files = [path for app in FLOOR for path in (ROOT / app).rglob("services/*.py")]
    return sorted(files + [ROOT / "shop" / "rate_limits.py"])


def _is_http_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599


def http_in_service(path: Path) -> list[str]:
    """Imports of HTTP error machinery, raises carrying a status, exception classes holding one."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = {alias.name for alias in node.names}
            if (module in HTTP_ERROR_MODULES or names & HTTP_ERROR_MODULES
                    or (module and module.startswith("shop.api")) or names & HTTP_ERROR_NAMES):
                found.append(f"{node.lineno}: imports {module or ', '.join(sorted(names))}")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
            if (any(keyword.arg in ("status", "status_code") for keyword in call.keywords)
                    or any(_is_http_status(arg) for arg in call.args)
                    or (isinstance(call.func, ast.Name) and call.func.id in HTTP_ERROR_NAMES)):
                found.append(f"{node.lineno}: raises with an HTTP status")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name) and node.exc.id in HTTP_ERROR_NAMES:
            found.append(f"{node.lineno}: raises {node.exc.id}")
        elif isinstance(node, ast.ClassDef):
            for statement in ast.walk(node):
                targets = statement.targets if isinstance(statement, ast.Assign) else []
                if any(isinstance(target, ast.Name | ast.Attribute) and getattr(target, "id", getattr(target, "attr", ""))
                       in ("status", "status_code") for target in targets) and _is_http_status(statement.value):
                    found.append(f"{statement.lineno}: {node.name} holds an HTTP status")
            if any(keyword.arg in ("status", "status_code") and _is_http_status(keyword.value)
                   for call in ast.walk(node) if isinstance(call, ast.Call) for keyword in call.keywords):
                found.append(f"{node.lineno}: {node.name} passes an HTTP status")
    return sorted(found, key=lambda problem: int(problem.split(":")[0]))


def test_services_raise_domain_errors_with_no_http_status():
    found = [f"{path.relative_to(ROOT)}:{problem}" for path in service_files() for problem in http_in_service(path)]
    assert found == []


def test_the_service_check_covers_every_app_and_the_rate_limits():
    names = {str(path.relative_to(ROOT)) for path in service_files()}
    assert {"shop/services/checkout.py", "shop/services/refunds.py", "shop/rate_limits.py",
            "media/services/uploads.py", "creators/services/payouts.py", "content/services/catalog.py"} <= names


def test_the_service_check_sees_http_in_a_service(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from shop.api_errors import ApiError\n"
        "from django.http import Http404\n"
        "def f():\n    raise Failed('code', 'message', None, 502)\n"
        "def g():\n    raise Failed('Gone.', status=410)\n"
        "def h():\n    raise Http404\n"
        "class Refused(Exception):\n    status = 409\n"
        "class Busy(Exception):\n    def __init__(self):\n        super().__init__(status=503)\n"
    )

    assert http_in_service(probe) == [
        "1: imports shop.api_errors", "2: imports django.http", "4: raises with an HTTP status",
        "6: raises with an HTTP status", "8: raises Http404", "10: Refused holds an HTTP status",
        "11: Busy passes an HTTP status",
    ]


# --- No cycles inside an app --------------------------------------------------------------------
# Every import counts, module level or inside a function: an import moved into a function to dodge an
# import error still ties the two modules together. A cycle is broken by moving the shared piece.
# Allowed cycles, each with its reason (keep this tiny):
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    location = ROOT.joinpath(*name.split("."))
    return location.with_suffix(".py").exists() or (location / "__init__.py").exists()


def imported_names(path: Path) -> set[str]:
    """Modules of the project this file imports, anywhere in it; ``from a import b`` names ``a.b``
    when ``b`` is a module, else ``a``; relative imports resolved."""
    current = module_of(path)
    package = current.split(".") if path.name == "__init__.py" else current.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{module}.{alias.name}" if is_module(f"{module}.{alias.name}") else module
                      for alias in node.names}
    return {name for name in found if is_module(name) and name != current}


def import_graph(app: str) -> dict[str, set[str]]:
    graph = {module_of(path): set() for path in app_files(app)}
    for path in app_files(app):
        graph[module_of(path)] = {name for name in imported_names(path) if name.split(".")[0] == app}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_app_has_an_import_cycle_not_even_through_function_level_imports():
    found = [group for app in FLOOR for group in cycles(import_graph(app)) if frozenset(group) not in ALLOWED_CYCLES]
    assert found == []


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function():
    graph = {"shop.a": {"shop.b"}, "shop.b": {"shop.c"}, "shop.c": {"shop.a"}, "shop.d": {"shop.a"}}

    assert cycles(graph) == [["shop.a", "shop.b", "shop.c"]]


def test_the_cycle_check_reads_function_level_and_relative_imports(tmp_path, monkeypatch):
    package = tmp_path / "shop" / "services"
    package.mkdir(parents=True)
    for name in ("__init__.py", "a.py", "b.py"):
        (package / name).write_text("")
    (tmp_path / "shop" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from shop.services import b\n")
    (package / "b.py").write_text("from .a import f\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    assert import_graph("shop") == {
        "shop": set(), "shop.services": set(),
        "shop.services.a": {"shop.services.b"}, "shop.services.b": {"shop.services.a"},
    }
