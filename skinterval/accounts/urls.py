from django.contrib.auth import views as auth_views
from django.urls import path

from skinterval.accounts import otp_views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", otp_views.verify, name="otp_verify"),
    path("two-factor/setup/", otp_views.setup, name="otp_setup"),
]
