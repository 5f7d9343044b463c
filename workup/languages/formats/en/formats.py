"""English dates and numbers as a British clinic writes them (1 Oct 2026, 01/10/2026), not
Django's American defaults for ``en``: the app's English is British English.

Templates print dates with the named formats (``date:"DATE_FORMAT"``), so each language gets its
own: "1 Oct 2026", "1 octobre 2026", "1 Ekim 2026".
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
