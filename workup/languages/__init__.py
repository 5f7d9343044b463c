"""Languages: the interface in the user's own language, the patient sheet in the patient's.

- ``codes``: the languages the app speaks (``settings.LANGUAGES``), said once.
- ``middleware.UserLanguageMiddleware`` and ``views.set_language``: the user's choice, kept on
  their profile and applied at sign-in.
- ``check``: every template string marked for translation, every marked string translated
  (``manage.py check_translations``).
"""
