"""manage.py load_catalogue [FILE]: load or update the evidence catalogue (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from workup.evidence import store
from workup.evidence.catalogue import FIXTURE


class Command(BaseCommand):
    help = (
        "Load or update the evidence catalogue from its fixture. Entries unchanged since the last "
        "load keep their review records and any edit made by the clinical lead."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(FIXTURE))

    def handle(self, *args, file, **options):
        try:
            report = store.load_fixture(file)
        except FileNotFoundError:
            raise CommandError(f"No catalogue file at {file}.") from None
        except (ValueError, KeyError) as exc:
            raise CommandError(f"The catalogue file {file} is not valid: {exc}") from None
        if report.problems:
            raise CommandError(
                "The catalogue was not loaded:\n" + "\n".join(f"- {p}" for p in report.problems)
            )
        self.stdout.write(str(report))
        if report.translation_problems:
            raise CommandError(
                "Translations refused (the catalogue itself was loaded):\n"
                + "\n".join(f"- {p}" for p in report.translation_problems)
            )
        # The standard codes (LOINC, ICD-10-CM) of the catalogue, same rules (workup.interop).
        from workup.interop.codes import load_codes

        codes = load_codes()
        if codes.problems:
            raise CommandError(
                "The standard codes were not loaded:\n"
                + "\n".join(f"- {p}" for p in codes.problems)
            )
        self.stdout.write(str(codes))
