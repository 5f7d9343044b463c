"""No string a user reads is left unmarked or untranslated, in any of the three languages.

``workup.languages.check`` is the reusable check (``manage.py check_translations``); these tests
run it on the project, and show it catches each kind of problem on small examples.
"""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from workup.languages import check

pytest.importorskip("polib")


def test_every_template_and_message_is_marked_and_translated_into_french_and_turkish():
    report = check.run()
    assert report.marked > 800
    problems = "\n".join(str(p) for p in report.problems)
    assert not report.problems, (
        f"{len(report.problems)} translation problems (run `manage.py check_translations`, "
        f"`make messages`, translate the .po files, `manage.py compile_translations`):\n"
        f"{problems}"
    )


def test_the_command_lists_problems_and_fails(monkeypatch, capsys):
    monkeypatch.setattr(
        check,
        "run",
        lambda languages=None: check.Report(
            problems=[check.Problem("untranslated", "x.html:1", "Hello", "fr")], marked=1
        ),
    )
    with pytest.raises(CommandError):
        call_command("check_translations")
    out = capsys.readouterr().out
    assert "x.html:1: untranslated [fr]: Hello" in out
    assert "1 marked strings; 1 untranslated." in out


@pytest.mark.parametrize(
    "source, found",
    [
        ("<p>Hello there</p>", ["Hello there"]),
        ('<input placeholder="Name or MRN">', ["Name or MRN"]),
        ('<a title="Open the record">…</a>', ["Open the record"]),
        ('<button aria-label="Close the panel">×</button>', ["Close the panel"]),
        ('{% include "x.html" with caption="Steps for you" %}', ["Steps for you"]),
        ('{{ value|default:"never" }}', ["never"]),
        ("{% load i18n %}<p>{% translate 'Hello there' %}</p>", []),
        ("{% load i18n %}<p>{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}</p>", []),
        ('{% include "x.html" with caption=_("Steps for you") %}', []),
        ("<p>MRN · AMH · PDF · 12 ng/mL</p>", []),
        ("<code>manage.py load_catalogue</code>", []),
        ("{% block main_class %}container py-3{% endblock %}", []),
        ('<p class="lead text-muted">{{ x }}</p>', []),
        # A default inside an attribute nobody reads is a class or an id; in one a reader
        # sees (a tooltip), it is text.
        ("<g class=\"point-{{ r|default:'unknown' }}\"></g>", []),
        ("<a title=\"{{ t|default:'never' }}\">x</a>", ["never"]),
    ],
)
def test_the_template_check_finds_text_not_marked_for_translation(source, found):
    problems = check.unmarked_template_text("example.html", source)
    assert [p.text for p in problems] == found


def test_email_templates_are_checked_line_by_line():
    problems = check.unmarked_template_text("mail.txt", "Hello {{ name }},\n\n{{ link }}\n")
    assert [p.text for p in problems] == ["Hello …,"] or problems[0].where == "mail.txt:1"


@pytest.mark.parametrize(
    "code, found",
    [
        ('messages.success(request, "Saved.")', ["Saved."]),
        ('messages.error(request, f"Not saved: {who}.")', ["Not saved: \x00."]),
        ('raise ValidationError("Check the year.")', ["Check the year."]),
        (
            'field = forms.CharField(label="Full name", help_text="As on the ID card.")',
            ["Full name", "As on the ID card."],
        ),
        (
            'field = forms.ChoiceField(choices=[("", "Choose…"), ("a", "Apple")])',
            ["Choose…", "Apple"],
        ),
        ('form.add_error("reason", "Give the reason.")', ["Give the reason."]),
        ('note = Note("sign-off", "Work-up signed.")', ["Work-up signed."]),
        ('save(done=lambda data: "Step marked done.")', ["Step marked done."]),
        (
            'save(done=lambda data: "Saved." if data else "Nothing changed.")',
            ["Saved.", "Nothing changed."],
        ),
        ('field.choices = [("", "Nobody yet")] + people', ["Nobody yet"]),
        ('labels = {"name": "What the token is for"}', ["What the token is for"]),
        ('f = forms.CharField(error_messages={"required": "Give a name."})', ["Give a name."]),
        ('messages.success(request, gettext("Saved."))', []),
        ('field = forms.CharField(label=gettext_lazy("Full name"))', []),
        ('field = forms.CharField(label="MRN")', []),
    ],
)
def test_the_python_check_finds_messages_not_marked(tmp_path, monkeypatch, code, found):
    path = tmp_path / "example.py"
    path.write_text(code + "\n", encoding="utf-8")
    monkeypatch.setattr(check, "ROOT", tmp_path)
    _, problems = check.python_messages(path)
    assert [p.text for p in problems] == found


def test_choices_classes_are_checked(tmp_path, monkeypatch):
    path = tmp_path / "models.py"
    path.write_text(
        "class Status(models.TextChoices):\n"
        '    OPEN = "open", "Open"\n'
        '    DONE = "done", gettext_lazy("Done")\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(check, "ROOT", tmp_path)
    _, problems = check.python_messages(path)
    assert [p.text for p in problems] == ["Open"]


def test_a_marked_string_without_a_translation_is_found(tmp_path, monkeypatch):
    import polib

    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Hello", msgstr="Bonjour"))
    po.append(polib.POEntry(msgid="Goodbye", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy", msgstr="Flou", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Hi %(name)s", msgstr="Salut %(nom)s"))
    po.save(str(folder / "django.po"))
    monkeypatch.setattr(check, "LOCALE", tmp_path)
    messages = [
        check.Msg("Hello", where="a:1"),
        check.Msg("Goodbye", where="a:2"),
        check.Msg("Fuzzy", where="a:3"),
        check.Msg("Hi %(name)s", where="a:4"),
        check.Msg("New string", where="a:5"),
    ]
    found = {(p.kind, p.where) for p in check.untranslated(messages, "xx")}
    assert found == {
        ("untranslated", "a:2"),
        ("untranslated", "a:3"),
        ("placeholders differ", "a:4"),
        ("not in the .po file", "a:5"),
    }
    # And a .mo that was not compiled from the .po as it is now is found too.
    assert check.stale_mo("xx")[0].kind == "stale .mo"
    po.save_as_mofile(str(folder / "django.mo"))
    po[0].msgstr = "Salut"
    po.save(str(folder / "django.po"))
    assert check.stale_mo("xx")[0].kind == "stale .mo"


def test_template_strings_are_read_as_makemessages_reads_them():
    source = (
        "{% load i18n %}{% translate 'Save' %}"
        "{% translate 'Page' context 'page 2 of 5' %}"
        "{% blocktranslate count counter=n %}{{ counter }} day{% plural %}{{ counter }} days"
        "{% endblocktranslate %}"
    )
    found = check.template_messages("t.html", source)
    assert [(m.context, m.msgid, m.plural) for m in found] == [
        ("", "Save", ""),
        ("page 2 of 5", "Page", ""),
        ("", "%(counter)s day", "%(counter)s days"),
    ]


@pytest.mark.parametrize("language", ["fr", "tr"])
def test_the_committed_mo_files_load_and_translate(language):
    path = Path(check.po_path(language)).with_suffix(".mo")
    with open(path, "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Patients") != "Patients"
    assert catalogue.info()["plural-forms"] == "nplurals=2; plural=(n > 1);"


def test_the_check_is_pure_python_and_needs_no_gettext_tools():
    tree = ast.parse(Path(check.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "subprocess" not in imported
