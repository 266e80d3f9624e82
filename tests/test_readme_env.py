"""Every environment variable the code reads is documented once, in the README's Configuration table, and in
`.env.example`; the table names nothing the code no longer reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the running product reads: the settings, the gunicorn config, every app and manage.py (not the tests,
# the bench or CI scripts, whose own variables the README's developer part describes).
SCANNED = ["settings", "deploy", "shop", "creators", "content", "media", "readers", "privacy", "operations", "manage.py"]
# Read by a library from the environment itself, never by our code.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# Only the development settings read these (`make demo HOST=… PORT=…`); production has no use for them.
DEVELOPMENT_ONLY = {"HOST"}

_NAME = r"[\"']([A-Z][A-Z0-9_]*)[\"']"
_READ = re.compile(
    r"(?:\bget_(?:str|int|bool|list|required)|environ\.get|getenv|environ\.setdefault|environ\.pop)\(\s*" + _NAME
    + r"|environ\[\s*" + _NAME + r"\s*\]"
)


# The test settings are the suite's, not the product's: their variables are in the README's developer part.
TEST_SETTINGS = {"settings/test.py"}


def variables_read_by_the_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in SCANNED:
        path = ROOT / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            if str(source.relative_to(ROOT)) in TEST_SETTINGS:
                continue
            for match in _READ.finditer(source.read_text()):
                found.setdefault(match.group(1) or match.group(2), set()).add(str(source.relative_to(ROOT)))
    return found


def configuration_rows() -> list[list[str]]:
    """The variable names of each row of the README's Configuration table (first column)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1]
    section = re.split(r"\n#{1,2} ", section, maxsplit=1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1]) for row in rows]


def test_the_scan_finds_reads_in_settings_and_in_gunicorn_config():
    read = variables_read_by_the_code()

    assert read["DJANGO_SECRET_KEY"] == {"settings/production.py"}
    assert read["GUNICORN_MAX_REQUESTS"] == {"deploy/gunicorn.conf.py"}
    assert read["KOLSHOP_RATE_LIMIT_PRIVACY_REQUESTS"] == {"settings/base.py"}
    assert "DJANGO_SETTINGS_MODULE" in read  # manage.py's os.environ.setdefault


def test_every_variable_the_code_reads_has_a_row_in_the_configuration_table():
    documented = {name for row in configuration_rows() for name in row}

    missing = sorted(set(variables_read_by_the_code()) - documented)

    assert missing == [], f"add these to README.md's Configuration table: {missing}"


def test_each_variable_is_documented_once():
    names = [name for row in configuration_rows() for name in row]

    twice = sorted({name for name in names if names.count(name) > 1})

    assert twice == []


def test_the_configuration_table_names_only_variables_something_reads():
    documented = {name for row in configuration_rows() for name in row}

    stale = sorted(documented - set(variables_read_by_the_code()) - READ_BY_LIBRARIES)

    assert stale == [], f"nothing reads these any more: {stale}"


def test_every_variable_the_code_reads_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, flags=re.M))

    missing = sorted(set(variables_read_by_the_code()) - listed - DEVELOPMENT_ONLY)

    assert missing == []
