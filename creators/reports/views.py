"""The brand performance report in the Wagtail admin: filters, table, charts, CSV/XLSX export."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from creators.models import CreatorProfile
from creators.reports.channels import channel_figures
from creators.reports import charts, exports
from creators.reports.queries import (
    GROUPINGS,
    SORTABLE,
    ReportFilters,
    brands_for_filter,
    build_report,
    default_range,
)
from shop.services.brand_access import brand_ids_for_user, is_brand_user

MAX_RANGE_DAYS = 366
STAFF_PERMISSION = "creators.view_dailyperformance"


def report_brand_scope(user) -> frozenset[int] | None:
    """Which brands' rows a user may read: None for staff (all), their brands for brand users."""
    if user.is_superuser or user.has_perm(STAFF_PERMISSION):
        return None
    if is_brand_user(user):
        return frozenset(brand_ids_for_user(user))
    raise PermissionDenied


def can_view_brand_reports(user) -> bool:
    try:
        report_brand_scope(user)
    except PermissionDenied:
        return False
    return True


class ReportForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(choices=[(name, name.title()) for name in GROUPINGS], required=False, label="Per")
    brand = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    creator = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    sort = forms.ChoiceField(
        choices=[("-gmv", "GMV, highest first")] + [
            (f"{prefix}{name}", f"{name.replace('_', ' ')}, {'highest' if prefix else 'lowest'} first")
            for name in SORTABLE for prefix in ("-", "") if f"{prefix}{name}" != "-gmv"
        ],
        required=False,
    )

    def __init__(self, data, *, scope: frozenset[int] | None, **kwargs):
        # Missing filters take their defaults, and the form shows them (e.g. the last 30 days).
        data = data.copy()
        start, end = default_range()
        for name, value in (("start", start.isoformat()), ("end", end.isoformat()), ("group_by", "creator"),
                            ("sort", "-gmv")):
            if not data.get(name):
                data[name] = value
        super().__init__(data, **kwargs)
        self.scope = scope
        self.fields["brand"].choices = [("", "All brands")] + [(b.pk, b.name) for b in brands_for_filter(scope)]
        self.fields["creator"].choices = [("", "All creators")] + list(
            CreatorProfile.objects.order_by("display_name").values_list("pk", "display_name")
        )

    def clean(self):
        data = super().clean()
        if "start" not in data or "end" not in data:
            return data  # a field error already says what is wrong
        if data["end"] < data["start"]:
            self.add_error("end", "The end date must not be before the start date.")
        elif (data["end"] - data["start"]).days >= MAX_RANGE_DAYS:
            self.add_error("end", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        brand_ids = self.scope
        if data.get("brand") is not None:
            # A brand user asking for another brand gets nothing, never that brand's rows.
            brand_ids = frozenset({data["brand"]}) & (self.scope if self.scope is not None else {data["brand"]})
        return ReportFilters(
            start=data["start"], end=data["end"], group_by=data.get("group_by") or "creator",
            brand_ids=brand_ids, creator_id=data.get("creator"), sort=data.get("sort") or "-gmv",
        )


def brand_performance_view(request):
    scope = report_brand_scope(request.user)
    form = ReportForm(request.GET, scope=scope)
    if not form.is_valid():
        return render(request, "creators/reports/brand_performance.html", {"form": form}, status=400)
    report = build_report(form.filters())
    export = request.GET.get("format")
    if export == "csv":
        response = HttpResponse(exports.to_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
        return response
    if export == "channels-csv":
        response = HttpResponse(exports.channels_to_csv(channel_figures(report.filters)),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv").replace("performance", "channels")}"'
        return response
    if export == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
        return response
    return render(request, "creators/reports/brand_performance.html", {
        "form": form,
        "report": report,
        "columns": exports.COLUMNS,
        "table": exports.table(report),
        "charts": _charts(report),
        "channels": channel_figures(report.filters),
        "query": request.GET.urlencode(),
    })


def _filename(report, extension: str) -> str:
    f = report.filters
    return f"brand-performance-{f.group_by}-{f.start:%Y%m%d}-{f.end:%Y%m%d}.{extension}"


def _charts(report) -> list[str]:
    days = report.daily
    totals = report.totals[0] if report.totals else None
    top_creators = []
    if report.filters.group_by == "creator":
        top_creators = [(row.label, row.gmv) for row in sorted(report.rows, key=lambda r: r.gmv, reverse=True)[:5]]
    result = [
        charts.line_chart("GMV and clicks per day", [
            charts.Series("GMV", [(row.label, row.gmv) for row in days]),
            charts.Series("Clicks", [(row.label, row.clicks) for row in days]),
        ]),
    ]
    if totals is not None:
        result.append(charts.bar_chart("Funnel: views → clicks → add-to-carts → orders", [
            ("Views", totals.views), ("Clicks", totals.clicks),
            ("Add-to-carts", totals.add_to_carts), ("Orders", totals.orders),
        ]))
    if top_creators:
        result.append(charts.bar_chart("Top creators by GMV", top_creators))
    return result
