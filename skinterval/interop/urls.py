from django.urls import path

from skinterval.interop import views

app_name = "feeds"
urlpatterns = [
    path("<str:token>.ics", views.calendar_feed, name="ics"),
    path("new/", views.create_feed, name="create"),
    path("off/", views.revoke_feed, name="revoke"),
]
