"""English dates and numbers as a British clinic writes them (1 Oct 2026, 01/10/2026), not
Django's American defaults for ``en``: the app's English is British English."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
