from django.urls import path

from skinterval.photos import views

# Mounted at /photos/. Photos and patients are named by opaque ids only.
app_name = "photos"
urlpatterns = [
    path("patient/<uuid:patient_id>/", views.patient_photos, name="patient"),
    path("patient/<uuid:patient_id>/add/", views.upload, name="upload"),
    path("mine/", views.my_photos, name="mine"),
    path("<uuid:photo_id>/", views.image, name="image"),
]
