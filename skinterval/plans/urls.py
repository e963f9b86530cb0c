from django.urls import path

from skinterval.plans import views

app_name = "plans"
urlpatterns = [
    path("new/<uuid:patient_id>/", views.new_plan, name="new"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/approve/", views.approve, name="approve"),
    path("<int:plan_id>/override/", views.override, name="override"),
]
