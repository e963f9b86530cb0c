from django.urls import path

from skinterval.outcomes import report_views

app_name = "reports"
urlpatterns = [
    path("outcomes/", report_views.report_page, name="outcomes"),
    path("outcomes.csv", report_views.report_csv_download, name="outcomes_csv"),
]
