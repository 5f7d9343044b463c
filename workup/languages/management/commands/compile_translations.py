"""manage.py compile_translations: the .po files into .mo, in pure Python (polib).

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine or CI may not have;
the compiled .mo files are committed, and this command rebuilds them from the .po files.
"""

from django.core.management.base import BaseCommand, CommandError

from workup.languages import check
from workup.languages.codes import translated


class Command(BaseCommand):
    help = "Compile locale/<language>/LC_MESSAGES/django.po into django.mo (no msgfmt needed)."

    def handle(self, *args, **options):
        for language in translated():
            try:
                catalogue = check.load_po(language)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
            if catalogue is None:
                raise CommandError(f"No catalogue at {check.po_path(language)}.")
            target = check.po_path(language).with_suffix(".mo")
            catalogue.save_as_mofile(str(target))
            self.stdout.write(
                f"{language}: {len(catalogue.translated_entries())} translated, "
                f"{len(catalogue.untranslated_entries())} untranslated, "
                f"{len(catalogue.fuzzy_entries())} fuzzy -> {target.relative_to(check.ROOT)}"
            )
