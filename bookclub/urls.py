from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from bookclub import accounts, views
from bookclub.ratelimit import rate_limit

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("guides/", include("guides.urls")),
    path("accounts/signup/", accounts.signup, name="signup"),
    # Each request sends an email: limited, before Django's own route of the same name.
    path(
        "accounts/password_reset/",
        rate_limit("password_reset")(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("guides.club_urls")),
    path("", include("sessions.urls")),
    path("admin/", admin.site.urls),
    # Uploaded illustrations. A proxy in front may serve MEDIA_ROOT itself; without one the app does.
    re_path(r"^media/(?P<path>.+)$", views.media, name="media"),
]
