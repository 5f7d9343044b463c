from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "workup.interop"
    verbose_name = "Interoperability (FHIR, HL7 v2)"
