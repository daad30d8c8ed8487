"""URL configuration: operations, the API and the admin views."""

from __future__ import annotations

from django.urls import path
from parcels import views

urlpatterns = [
    path("health", views.health),
    path("health/details", views.health_details),
    path("metrics", views.metrics),
    path("auth/token", views.login),
    path("auth/logout", views.logout),
    path("api/items", views.items),
    path("api/items/<int:item_id>", views.item_detail),
    path("api/events", views.events),
    path("admin/users", views.admin_users),
]
