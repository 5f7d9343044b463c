"""Start the audit chains: name the actor of every existing record, then chain the records."""

from django.db import migrations

from workup.audit.chain import seal_unchained

HISTORY_MODELS = (
    "historicalpatient",
    "historicalworkup",
    "historicalfindings",
    "historicalstimulationcycle",
    "historicalcheckliststep",
    "historicaladdonrequest",
    "historicaladdendum",
)


def seal(apps, schema_editor):
    using = schema_editor.connection.alias
    User = apps.get_model("auth", "User")
    people = {
        u.pk: (u.username, f"{u.first_name} {u.last_name}".strip())
        for u in User.objects.using(using).all()
    }
    models = [apps.get_model("clinic", name) for name in HISTORY_MODELS]
    for model in models:
        for pk, (username, name) in people.items():
            model.objects.using(using).filter(history_user_id=pk, history_username="").update(
                history_username=username, history_user_full_name=name
            )
    record = apps.get_model("audit", "DownloadRecord")
    for pk, (username, name) in people.items():
        record.objects.using(using).filter(user_id=pk, username="").update(
            username=username, user_full_name=name
        )
    for model in [*models, record]:
        seal_unchained(model, using=using)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_access_records_chained"),
        ("clinic", "0008_history_actor_and_chain"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
