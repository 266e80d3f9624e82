"""Imports go one way, like floors of a house: shop at the bottom, creators and media above it, content
on top (operations, the process glue, knows none of them). A new import that points up fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = {"shop": 0, "creators": 1, "media": 1, "content": 2}
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
