from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "workup.documents"
    verbose_name = "Documents: consultation summary, PDF and patient sheet"

    def ready(self):
        from . import tasks

        tasks.connect()
