"""manage.py assess FILE|- : the engine from the command line.

Prints the assessment as JSON. Bad input prints {"errors": {...}} to standard error and exits
with status 2; a catalogue that is not loaded exits with status 1.
"""

import json
import sys

from django.core.management.base import BaseCommand

from workup.evidence import service, store
from workup.evidence.facts import FactsError


class Command(BaseCommand):
    help = "Assess a work-up's facts (a JSON file, or - for standard input) and print the result."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file of facts, or - to read standard input")
        parser.add_argument("--compact", action="store_true", help="print the JSON on one line")

    def fail(self, errors, status=2):
        self.stderr.write(json.dumps({"errors": errors}, indent=2, ensure_ascii=False))
        sys.exit(status)

    def handle(self, *args, file, compact, **options):
        try:
            if file == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as handle:
                    raw = handle.read()
        except OSError as exc:
            self.fail({"file": [f"Cannot read {file}: {exc.strerror or exc}."]})
        try:
            catalogue = store.get_catalogue()
        except store.CatalogueMissing as exc:
            self.fail({"catalogue": [str(exc)]}, status=1)
        try:
            answer = service.assess_data(service.decode_json(raw), catalogue)
        except FactsError as exc:
            self.fail(exc.errors)
        indent = None if compact else 2
        self.stdout.write(json.dumps(answer, indent=indent, ensure_ascii=False))
