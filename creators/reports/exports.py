"""CSV and XLSX exports of exactly the table a report shows (same rows, columns and totals)."""

import csv
import io

from openpyxl import Workbook

from creators.reports.queries import Report, ReportRow
from creators.spreadsheets import spreadsheet_cell

COLUMNS = [
    ("label", "Row"),
    ("currency", "Currency"),
    ("views", "Views"),
    ("clicks", "Clicks"),
    ("add_to_carts", "Add-to-carts"),
    ("orders", "Orders"),
    ("units", "Units"),
    ("gmv", "GMV"),
    ("refunds", "Refunds"),
    ("net_gmv", "Net GMV"),
    ("conversion_rate", "Conversion rate (%)"),
    ("epc", "EPC"),
    ("commission", "Commission owed"),
]


def table(report: Report) -> list[list]:
    """The report as it is shown: header, rows, then one total row per currency."""
    def cells(row: ReportRow) -> list:
        values = [getattr(row, name) for name, _ in COLUMNS]
        return ["" if value is None else spreadsheet_cell(value) for value in values]

    return [[heading for _, heading in COLUMNS], *map(cells, report.rows), *map(cells, report.totals)]


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table(report):
        writer.writerow([str(value) for value in row])
    return buffer.getvalue()


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Brand performance"
    for row in table(report):
        # Money stays exact: Decimals are written as numbers with two places, not floats.
        sheet.append(row)
    for column in ("H", "I", "J", "L", "M"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CHANNEL_COLUMNS = [("channel", "Channel"), ("currency", "Currency"), ("orders", "Orders"), ("units", "Units"),
                   ("gmv", "GMV"), ("refunds", "Refunds"), ("net_gmv", "Net GMV")]


def channels_to_csv(channels: list) -> str:
    """The report's "Other sales channels" table (``channels.channel_figures``: aggregates only, rows under
    ``MIN_ORDERS_PER_ROW`` orders already left out), formula-escaped like the report's CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([heading for _, heading in CHANNEL_COLUMNS])
    for channel in channels:
        writer.writerow([str(spreadsheet_cell(getattr(channel, name))) for name, _ in CHANNEL_COLUMNS])
    return buffer.getvalue()
