"""Readers' live endpoints, mounted at /api/live/ (settings/urls.py)."""

from django.urls import path

from content.live import views

app_name = "live"

urlpatterns = [
    path("<int:page_id>/state/", views.state_view, name="state"),
    path("<int:page_id>/events/", views.events_view, name="events"),
    path("<int:page_id>/heartbeat/", views.heartbeat_view, name="heartbeat"),
]
