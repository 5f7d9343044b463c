"""Django's makemessages, without fuzzy matching: msgmerge's guesses ("Accès refusé" for "None:
all done.") would ship as wrong translations marked fuzzy; a new string is left untranslated
instead, and check_translations lists it."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
