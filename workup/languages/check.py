"""Every string a user reads is marked for translation, and every marked string is translated.

Three checks, run by ``manage.py check_translations`` and by the test suite
(``tests/languages/test_translations.py``), so that a branch adding a page, a form or a message
can be checked again after it is merged:

- **Unmarked template text**: visible text in the project's templates (``templates/`` and each
  app's own) that is not inside ``{% translate %}`` or ``{% blocktranslate %}``: element text
  and the attributes a reader sees or hears (``title``, ``alt``, ``placeholder``,
  ``aria-label``, a button's ``value``). Text with no word in it (numbers, symbols, names in
  capitals such as MRN, AMH or PDF, units, the product's name) is language-neutral.
- **Unmarked Python messages**: a string literal handed straight to ``messages.<level>()``,
  ``ValidationError``, ``PermissionDenied``/``Http404`` with a reason, ``form.add_error()``, the
  work-up page's saved note (``Note(anchor, "...")``, ``done=lambda data: "..."``), a form
  field's ``label``, ``help_text``, ``empty_label``, ``choices`` (also assigned,
  ``field.choices = [...]``) or ``error_messages``, a ModelForm's ``Meta.labels`` and
  ``Meta.help_texts``, or a ``TextChoices`` label, in the project's own apps.
- **Untranslated marked strings**: every string marked in a template
  (``django.utils.translation.template.templatize``, as ``makemessages`` reads them) or in
  Python (``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext``, ... with a literal) must
  have a translation, not fuzzy, with the same placeholders, in each language's
  ``locale/<language>/LC_MESSAGES/django.po``; and each ``.mo`` must be compiled from its
  ``.po`` as it is now.

Each problem names the file and line, so the list is the to-do list after a merge: mark what is
unmarked, run ``make messages`` (``makemessages``), translate what is new in the ``.po`` files,
and compile (``manage.py compile_translations``).
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import DebugLexer, Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
PROJECT_APPS = ROOT / "workup"
TEMPLATE_SUFFIXES = (".html", ".txt")
# Templates that are not pages: the print margins' CSS carries only values from the context.
SKIP_TEMPLATES = {"documents/page.css"}

# Blocks whose content is not text (CSS classes, a language code).
NOT_TEXT_BLOCKS = {"html_lang"}
# Attributes whose text a reader sees (tooltips, placeholders) or hears (screen readers).
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
# Elements whose content is not prose.
NOT_PROSE = {"script", "style", "code", "kbd", "samp", "pre"}

# Words that are the same in every language here: units, the product's name, codes.
NEUTRAL_WORDS = {
    "ng",
    "mL",
    "pmol",
    "mIU",
    "IU",
    "kg",
    "cm",
    "mg",
    "µg",
    "ug",
    "RIF",
    "Work",
    "up",
    "rif",
    "www",
    "http",
    "https",
    "doi",
    "org",
    "Bearer",
    "e.g",
}
WORD = re.compile(r"[^\W\d_]{2,}")
PLACEHOLDER = "\x00"

GETTEXT_NAMES = {
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "_": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}

# Calls whose first string argument a user reads, and keyword arguments a user reads.
MESSAGE_CALLS = {"ValidationError", "PermissionDenied", "Http404"}
MESSAGE_METHODS = {"debug", "info", "success", "warning", "error"}
USER_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name", "verbose_name_plural"}
# A ModelForm's ``class Meta`` dictionaries a user reads.
META_DICTS = {"labels", "help_texts", "error_messages"}


@dataclass(frozen=True)
class Problem:
    kind: str  # "unmarked template text", "unmarked message", "untranslated", "stale .mo"
    where: str
    text: str
    language: str = ""

    def __str__(self) -> str:
        language = f" [{self.language}]" if self.language else ""
        return f"{self.where}: {self.kind}{language}: {self.text}"


@dataclass(frozen=True)
class Msg:
    msgid: str
    plural: str = ""
    context: str = ""
    where: str = ""


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    marked: int = 0

    def by_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]


def is_translatable(text: str) -> bool:
    """Has at least one word a translator would translate (not a code, unit or name)."""
    for word in WORD.findall(text.replace(PLACEHOLDER, " ")):
        if word in NEUTRAL_WORDS:
            continue
        if word.isupper():  # an abbreviation: MRN, AMH, PDF, HFEA, CSV
            continue
        return True
    return False


# --- templates -----------------------------------------------------------------------------


def template_files() -> Iterator[tuple[str, Path]]:
    """(template name, path) of the project's own templates."""
    folders = [ROOT / "templates"] + sorted(PROJECT_APPS.glob("*/templates"))
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                name = path.relative_to(folder).as_posix()
                if name not in SKIP_TEMPLATES:
                    yield name, path


def _is_email(name: str, source: str) -> bool:
    return name.endswith(".txt") or "{% autoescape off %}" in source[:200]


class _Visible(HTMLParser):
    """Collects visible text and the visible attributes of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in NOT_PROSE:
            self.skipping += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (
                name in VISIBLE_ATTRIBUTES
                or (
                    name == "value"
                    and tag == "input"
                    and attrs.get("type") in ("submit", "button", "reset")
                )
            ):
                self.found.append((self.getpos()[0], value))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in NOT_PROSE:
            self.skipping -= 1

    def handle_endtag(self, tag):
        if tag in NOT_PROSE and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.found.append((self.getpos()[0], data))


def _outside_translation(source: str) -> str:
    """The template with every tag and variable replaced by a placeholder, and the text of
    ``{% blocktranslate %}`` and ``{% comment %}`` blocks removed (kept line for line)."""
    out = []
    depth = 0  # inside blocktranslate or comment
    blocks: list[str] = []  # open {% block %} names: a *_class block holds CSS classes
    for token in Lexer(source).tokenize():
        raw = token.contents
        if token.token_type == TokenType.BLOCK:
            parts = raw.split()
            word = parts[0] if parts else ""
            if word in ("blocktranslate", "blocktrans", "comment"):
                depth += 1
            elif word in ("endblocktranslate", "endblocktrans", "endcomment"):
                depth = max(0, depth - 1)
            elif word == "block":
                blocks.append(parts[1] if len(parts) > 1 else "")
            elif word == "endblock" and blocks:
                blocks.pop()
            text = PLACEHOLDER
        elif token.token_type in (TokenType.VAR, TokenType.COMMENT):
            text = PLACEHOLDER
        else:
            hidden = depth or any(b.endswith("_class") or b in NOT_TEXT_BLOCKS for b in blocks)
            text = re.sub(r"[^\n]", " ", raw) if hidden else raw
        # Keep line numbers: a tag spanning lines keeps its newlines.
        out.append(text + "\n" * (raw.count("\n") if token.token_type != TokenType.TEXT else 0))
    return "".join(out)


# Literal text handed to a template as a value a reader sees: ``{% include ... with caption="..."
# %}``, ``{{ value|default:"never" }}``, ``|yesno:"yes,no"``. Marked, it reads ``_("...")``.
_LITERAL_VALUE = re.compile(
    r"""(?:\bwith\s+|\s)\w+=("[^"]*"|'[^']*')|\|(?:default|default_if_none|yesno):("[^"]*"|'[^']*')"""
)


_OPEN_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"[^"]*|'[^']*)$""")


def _in_hidden_attribute(source: str, token) -> bool:
    """The tag or variable sits inside an HTML attribute a reader neither sees nor hears
    (``class``, ``id``, ``data-*``)."""
    start = token.position[0] if token.position else None
    if start is None:
        return False
    before = source[:start]
    tag = before.rfind("<")
    if tag < before.rfind(">"):
        return False
    match = _OPEN_ATTRIBUTE.search(before[tag:])
    return match is not None and match.group(1).lower() not in VISIBLE_ATTRIBUTES


def unmarked_template_values(name: str, source: str) -> list[Problem]:
    problems = []
    for token in DebugLexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        words = token.contents.split()
        if words and words[0] in ("url", "translate", "trans", "blocktranslate", "blocktrans"):
            continue
        for match in _LITERAL_VALUE.finditer(token.contents):
            literal = (match.group(1) or match.group(2))[1:-1]
            # A value passed with ``with`` is text when it is a phrase; one word is a code. A
            # default inside an attribute nobody reads is a class or an id ("unknown" in
            # ``class="point-{{ response|default:'unknown' }}"``).
            if match.group(1) and " " not in literal.strip():
                continue
            if match.group(2) and _in_hidden_attribute(source, token):
                continue
            if is_translatable(literal):
                where = f"{name}:{token.lineno}"
                problems.append(Problem("unmarked template text", where, literal))
    return problems


def unmarked_template_text(name: str, source: str) -> list[Problem]:
    text = _outside_translation(source)
    problems = unmarked_template_values(name, source)
    if _is_email(name, source):
        for number, line in enumerate(text.splitlines(), start=1):
            if is_translatable(line):
                problems.append(Problem("unmarked template text", f"{name}:{number}", line.strip()))
        return problems
    parser = _Visible()
    parser.feed(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    parser.close()
    for line, found in parser.found:
        found = " ".join(found.replace(PLACEHOLDER, " … ").split())
        if is_translatable(found):
            problems.append(Problem("unmarked template text", f"{name}:{line}", found))
    return problems


_STRING = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_CALL = re.compile(
    r"\b("
    + "|".join(sorted(GETTEXT_NAMES, key=len, reverse=True))
    + r")\(\s*("
    + _STRING
    + r"(?:\s*,\s*"
    + _STRING
    + r")*)"
)


def _calls(code: str) -> Iterator[tuple[str, list[str], int]]:
    """gettext-family calls in ``templatize`` output: (function, literal arguments, line)."""
    for match in _CALL.finditer(code):
        args = [ast.literal_eval(s) for s in re.findall(_STRING, match.group(2))]
        yield match.group(1), args, code.count("\n", 0, match.start()) + 1


def _msg(function: str, args: list[str], where: str) -> Msg | None:
    names = GETTEXT_NAMES[function]
    if len(args) < len(names):
        return None
    values = dict(zip(names, args, strict=False))
    return Msg(
        msgid=values["msgid"],
        plural=values.get("plural", ""),
        context=values.get("context", ""),
        where=where,
    )


def template_messages(name: str, source: str) -> list[Msg]:
    found = []
    for function, args, line in _calls(templatize(source)):
        msg = _msg(function, args, f"{name}:{line}")
        if msg is not None:
            found.append(msg)
    return found


# --- Python --------------------------------------------------------------------------------


def python_files() -> Iterator[Path]:
    for path in sorted(PROJECT_APPS.rglob("*.py")):
        if "migrations" in path.parts or "management" in path.parts:
            continue
        yield path


def _literal(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    return None


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def python_messages(path: Path) -> tuple[list[Msg], list[Problem]]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    where = path.relative_to(ROOT).as_posix()
    marked: list[Msg] = []
    problems: list[Problem] = []

    def unmarked(node, text):
        if text is not None and is_translatable(text):
            problems.append(Problem("unmarked message", f"{where}:{node.lineno}", text))

    def choice_labels(value):
        if isinstance(value, ast.BinOp):  # [("", "Not recorded")] + [...]
            choice_labels(value.left)
            choice_labels(value.right)
        elif isinstance(value, (ast.List, ast.Tuple)):
            for pair in value.elts:
                if isinstance(pair, ast.Tuple) and len(pair.elts) == 2:
                    unmarked(pair, _literal(pair.elts[1]))

    def dict_values(value):
        if isinstance(value, ast.Dict):
            for item in value.values:
                unmarked(item, _literal(item))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                # ``field.choices = [("", "Not recorded"), ...]``
                if isinstance(target, ast.Attribute) and target.attr == "choices":
                    choice_labels(node.value)
                # ``class Meta: labels = {...}; help_texts = {...}`` of a ModelForm
                if isinstance(target, ast.Name) and target.id in META_DICTS:
                    dict_values(node.value)
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in GETTEXT_NAMES:
                args = [_literal(a) for a in node.args]
                if all(a is not None for a in args):
                    msg = _msg(name, args, f"{where}:{node.lineno}")
                    if msg is not None:
                        marked.append(msg)
                continue
            if name in MESSAGE_CALLS and node.args:
                unmarked(node, _literal(node.args[0]))
            # ``form.add_error("field", "...")``; the page's saved note, ``Note(anchor, "...")``
            if name in ("add_error", "Note") and len(node.args) >= 2:
                unmarked(node, _literal(node.args[1]))
            if (
                name in MESSAGE_METHODS
                and isinstance(node.func, ast.Attribute)
                and _name(node.func.value) == "messages"
                and len(node.args) >= 2
            ):
                unmarked(node, _literal(node.args[1]))
            for keyword in node.keywords:
                if keyword.arg in USER_KEYWORDS:
                    unmarked(keyword.value, _literal(keyword.value))
                elif keyword.arg == "choices":
                    choice_labels(keyword.value)
                elif keyword.arg == "error_messages":
                    dict_values(keyword.value)
                elif keyword.arg == "done" and isinstance(keyword.value, ast.Lambda):
                    # a write's "saved" note: ``done=lambda data: "..."``
                    body = keyword.value.body
                    for part in (
                        (body.body, body.orelse) if isinstance(body, ast.IfExp) else (body,)
                    ):
                        unmarked(keyword.value, _literal(part))
        elif isinstance(node, ast.ClassDef) and any(
            _name(base) in ("TextChoices", "IntegerChoices", "Choices") for base in node.bases
        ):
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Tuple):
                    elements = item.value.elts
                    if len(elements) >= 2:
                        unmarked(item, _literal(elements[-1]))
    return marked, problems


# --- catalogues ----------------------------------------------------------------------------

_FORMAT = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _FORMAT.findall(text)}


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def load_po(language: str):
    try:
        import polib
    except ImportError as exc:  # pragma: no cover - a developer without the dev requirements
        raise RuntimeError(
            "The translation check reads the .po files with polib: "
            "pip install -r requirements-dev.txt"
        ) from exc
    path = po_path(language)
    return polib.pofile(str(path)) if path.exists() else None


def untranslated(messages: Iterable[Msg], language: str) -> list[Problem]:
    catalogue = load_po(language)
    entries = {}
    if catalogue is not None:
        entries = {(e.msgctxt or "", e.msgid): e for e in catalogue if not e.obsolete}
    problems = []
    seen = set()
    for msg in messages:
        key = (msg.context, msg.msgid)
        if key in seen:
            continue
        seen.add(key)
        entry = entries.get(key)
        shown = msg.msgid if len(msg.msgid) < 90 else msg.msgid[:87] + "..."
        if entry is None:
            problems.append(Problem("not in the .po file", msg.where, shown, language))
            continue
        translations = (
            [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
            if entry.msgid_plural
            else [entry.msgstr]
        )
        if "fuzzy" in entry.flags or not all(t.strip() for t in translations):
            problems.append(Problem("untranslated", msg.where, shown, language))
            continue
        wanted = _placeholders(msg.msgid) | _placeholders(msg.plural)
        for text in translations:
            if not _placeholders(text) <= wanted or (
                not entry.msgid_plural and _placeholders(text) != wanted
            ):
                problems.append(
                    Problem("placeholders differ", msg.where, f"{shown} -> {text}", language)
                )
                break
    return problems


def stale_mo(language: str) -> list[Problem]:
    """The compiled ``.mo`` must hold what the ``.po`` says (``compile_translations``)."""
    catalogue = load_po(language)
    if catalogue is None:
        return [Problem("no catalogue", str(po_path(language)), "", language)]
    mo = po_path(language).with_suffix(".mo")
    where = str(mo.relative_to(ROOT)) if mo.is_relative_to(ROOT) else str(mo)
    if not mo.exists():
        return [Problem("stale .mo", where, "not compiled", language)]
    with open(mo, "rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    for entry in catalogue.translated_entries():
        if "fuzzy" in entry.flags:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            got = compiled.ngettext(key, entry.msgid_plural, 1)
            want = entry.msgstr_plural.get(0, "")
        else:
            got = compiled.gettext(key)
            want = entry.msgstr
        if entry.msgctxt and entry.msgid_plural:
            continue
        if got != want:
            return [Problem("stale .mo", where, "run manage.py compile_translations", language)]
    return []


def run(languages: Iterable[str] | None = None) -> Report:
    """All three checks, for each translated language (French and Turkish by default)."""
    from .codes import translated

    languages = list(languages or translated())
    report = Report()
    messages: list[Msg] = []
    for name, path in template_files():
        source = path.read_text(encoding="utf-8")
        report.problems.extend(unmarked_template_text(name, source))
        messages.extend(template_messages(name, source))
    for path in python_files():
        marked, problems = python_messages(path)
        messages.extend(marked)
        report.problems.extend(problems)
    report.marked = len({(m.context, m.msgid) for m in messages})
    for language in languages:
        report.problems.extend(untranslated(messages, language))
        report.problems.extend(stale_mo(language))
    return report
