from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "workup.coordination"
    verbose_name = "Coordination: queues of pending investigations"
