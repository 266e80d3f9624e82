"""Cells for CSV and XLSX exports: text a spreadsheet would run as a formula is defused.

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a tab or carriage return
before one) as a formula, so a page title like ``=HYPERLINK("http://evil", "click")`` in an export
would run on the brand's machine. Every export writes its cells through ``spreadsheet_cell``.
Numbers (Decimal, int) stay numbers: only text is escaped.
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
