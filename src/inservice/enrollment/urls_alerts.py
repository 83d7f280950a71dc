"""Favourites (收藏追蹤), saved searches (研習訂閱) and the one-click unsubscribe."""

from django.urls import path

from . import views_alerts

urlpatterns = [
    path("my/favourites/", views_alerts.favourites, name="favourites"),
    path("my/favourites/<int:code>/star/", views_alerts.star, name="star"),
    path("my/favourites/<int:code>/unstar/", views_alerts.unstar, name="unstar"),
    path("my/searches/", views_alerts.searches, name="searches"),
    path("my/searches/save/", views_alerts.save_search, name="save_search"),
    path("my/searches/<int:pk>/delete/", views_alerts.delete_search, name="delete_search"),
    path("alerts/unsubscribe/<str:token>/", views_alerts.unsubscribe, name="unsubscribe"),
]
