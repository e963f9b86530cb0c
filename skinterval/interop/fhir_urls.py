from django.urls import path

from skinterval.interop import fhir_views

# Mounted at /fhir/ (docs/fhir.md). The patient is named by its opaque UUID only;
# any other text gets the same 404 OperationOutcome as an unknown UUID.
app_name = "fhir"
urlpatterns = [
    path("metadata", fhir_views.metadata, name="metadata"),
    path(
        "Patient/<str:patient_id>/$everything",
        fhir_views.patient_everything,
        name="patient_everything",
    ),
]
