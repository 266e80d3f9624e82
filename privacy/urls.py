from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [path("privacy/confirm/", views.confirm, name="confirm")]
