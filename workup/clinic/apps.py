from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "workup.clinic"
    verbose_name = "Clinical record"
