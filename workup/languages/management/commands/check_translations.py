"""manage.py check_translations: what is not marked for translation, or not translated.

Exits 1 and lists each problem (file:line, kind, language, text) when any is found; run it after
merging a branch that adds pages or messages (docs/documents.md, "Languages").
"""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from workup.languages import check


class Command(BaseCommand):
    help = (
        "List template text not marked for translation, Python messages not marked, and marked "
        "strings without a French or Turkish translation (or a stale .mo). Exit 1 if any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--language", action="append", help="Only this language (repeat).")

    def handle(self, *args, language=None, **options):
        try:
            report = check.run(language)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            self.stdout.write(str(problem))
        counts = Counter(p.kind for p in report.problems)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no problem"
        self.stdout.write(f"{report.marked} marked strings; {summary}.")
        if report.problems:
            raise CommandError(
                "Translations incomplete: mark the text, run `make messages`, translate the new "
                "entries in locale/*/LC_MESSAGES/django.po, then `manage.py compile_translations`."
            )
