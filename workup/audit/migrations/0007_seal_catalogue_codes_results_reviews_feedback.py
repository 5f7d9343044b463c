"""Put the catalogue's edits, the standard codes, the laboratories' code table, lab results,
the lead's reviews and the EMR's feedback on their audit chains: name the actor of every
existing record (from the user table of this day, as 0003 did for the clinical histories),
then chain the records in the order they were written."""

from django.db import migrations

from workup.audit.chain import seal_unchained

HISTORY_MODELS = (
    ("evidence", "historicalcatalogueversion"),
    ("evidence", "historicalsource"),
    ("evidence", "historicalinvestigation"),
    ("evidence", "historicalnextstep"),
    ("evidence", "historicaladdon"),
    ("evidence", "historicalimplantationchance"),
    ("evidence", "historicalparameter"),
    ("evidence", "historicalstatement"),
    ("interop", "historicalcoding"),
    ("interop", "historicallabcodemapping"),
    ("interop", "historicalincomingresult"),
)


def seal(apps, schema_editor):
    using = schema_editor.connection.alias
    User = apps.get_model("auth", "User")
    people = {
        u.pk: (u.username, f"{u.first_name} {u.last_name}".strip())
        for u in User.objects.using(using).all()
    }
    histories = [apps.get_model(app, name) for app, name in HISTORY_MODELS]
    for model in histories:
        for pk, (username, name) in people.items():
            model.objects.using(using).filter(history_user_id=pk, history_username="").update(
                history_username=username, history_user_full_name=name
            )
    reviews = apps.get_model("evidence", "ReviewRecord")
    for pk, (username, name) in people.items():
        reviews.objects.using(using).filter(reviewer_id=pk, reviewer_username="").update(
            reviewer_username=username, reviewer_full_name=name
        )
    feedback = apps.get_model("guardrail", "CdsFeedback")
    for model in [*histories, reviews, feedback]:
        seal_unchained(model, using=using)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_read_records_patient_page_and_cds_hooks"),
        ("evidence", "0004_catalogue_history_actor_and_chain"),
        ("interop", "0002_results_codes_history_actor_and_chain"),
        ("guardrail", "0003_cds_feedback_chained"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
