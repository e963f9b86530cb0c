from django.urls import path

from skinterval.plans import replan_views, views

app_name = "plans"
urlpatterns = [
    path("new/<uuid:patient_id>/", views.new_plan, name="new"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/approve/", views.approve, name="approve"),
    path("<int:plan_id>/override/", views.override, name="override"),
    path(
        "replan/<int:proposal_id>/",
        replan_views.proposal_detail,
        name="replan_proposal",
    ),
    path("replan/<int:proposal_id>/accept/", replan_views.accept, name="replan_accept"),
    path(
        "replan/<int:proposal_id>/decline/",
        replan_views.decline,
        name="replan_decline",
    ),
]
