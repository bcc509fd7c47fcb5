from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("api/kpis.json", views.kpis_json, name="kpis"),
    path("api/trend.json", views.trend_json, name="trend"),
    path("api/categories.json", views.categories_json, name="categories"),
    path("api/ranking.json", views.ranking_json, name="ranking"),
    path("api/heatmap.json", views.heatmap_json, name="heatmap"),
    path("api/lists.json", views.lists_json, name="lists"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
