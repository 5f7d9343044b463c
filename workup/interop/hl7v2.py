"""HL7 v2 ORU^R01 in (parsed with hl7apy), and the ACK that answers it.

A message is parsed segment by segment (tolerant validation: labs' messages are rarely perfect,
but every segment must be a segment). MSH gives the sender (MSH-4), the control id (MSH-10) and
the version; each OBX is one result of the patient of the PID before it (PID-3, the identifier
of type MR, else the first). The ACK says AA (taken: waiting for a clinician), AE (a content
problem: unknown patient, unknown code, bad value; nothing stored) or AR (the message could not
be read, or is not an ORU^R01; nothing stored), with one ERR segment per problem.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

from .results import Candidate, Issue, Refused

CONTENT_TYPE = "application/hl7-v2; charset=utf-8"
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8")
# HL7 table 0357 (message error condition codes) for each kind of problem.
ERROR_CODES = {
    "structure": ("100", "Segment sequence error"),
    "required": ("101", "Required field missing"),
    "value": ("102", "Data type error"),
    "code-invalid": ("103", "Table value not found"),
    "not-found": ("204", "Unknown key identifier"),
    "business-rule": ("207", "Application internal error"),
    "unsupported": ("200", "Unsupported message type"),
}


def _split(er7: str, sep: str) -> list[str]:
    return er7.split(sep) if er7 else []


class Hl7Message:
    def __init__(self, text: str):
        self.text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r \t\x0b\x1c")
        self.control_id = ""
        self.sender = ""
        self.sending_app = ""
        self.receiving_app = ""
        self.receiving_facility = ""
        self.version = "2.5.1"
        self.component = "^"
        self.repetition = "~"

    def parse(self) -> list[Candidate]:
        if not self.text.startswith("MSH"):
            raise Refused(
                [Issue("MSH", "structure", "The message must start with MSH.")], malformed=True
            )
        # What the ACK needs, read first so that even a refusal can answer to it.
        head = self.text.split("\r", 1)[0]
        if len(head) > 8:
            sep = head[3]
            self.component = head[4]
            self.repetition = head[5] if len(head) > 5 else "~"
            fields = head.split(sep)
            get = lambda i: fields[i] if len(fields) > i else ""  # noqa: E731
            self.sending_app, self.sender = (
                get(2).split(self.component)[0],
                get(3).split(self.component)[0],
            )
            self.receiving_app, self.receiving_facility = get(4), get(5)
            self.control_id = get(9)[:100]
            self.version = get(11).split(self.component)[0] or self.version
        try:
            message = parse_message(
                self.text, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT
            )
        except (HL7apyException, ValueError, IndexError, KeyError) as exc:
            raise Refused(
                [
                    Issue(
                        "message",
                        "structure",
                        f"Not a readable HL7 v2 message: {type(exc).__name__}.",
                    )
                ],
                malformed=True,
            ) from None
        msg_type = message.msh.msh_9.to_er7().split(self.component)
        if msg_type[:2] != ["ORU", "R01"]:
            raise Refused(
                [Issue("MSH-9", "unsupported", "Only ORU^R01 (unsolicited results) is taken.")],
                malformed=True,
            )
        if self.version not in SUPPORTED_VERSIONS:
            raise Refused(
                [Issue("MSH-12", "unsupported", "Unsupported HL7 version.")], malformed=True
            )
        if not self.sender:
            raise Refused([Issue("MSH-4", "required", "Name the sending facility (MSH-4).")])
        out: list[Candidate] = []
        mrn = None
        obr_date = None
        for segment in message.children:
            name = segment.name
            if name == "PID":
                mrn = self._mrn(segment)
                obr_date = None
            elif name == "OBR":
                obr_date = _date(self._field(segment, 7))
            elif name == "OBX":
                out.append(self._candidate(segment, mrn, obr_date, len(out) + 1))
        return out

    def _field(self, segment, number: int) -> str:
        for child in segment.children:
            if child.name == f"{segment.name}_{number}":
                return child.to_er7()
        return ""

    def _mrn(self, pid) -> str:
        ids = [_split(rep, self.component) for rep in _split(self._field(pid, 3), self.repetition)]
        for parts in ids:
            if len(parts) > 4 and parts[4] == "MR" and parts[0]:
                return parts[0]
        return ids[0][0] if ids and ids[0] else ""

    def _candidate(self, obx, mrn, obr_date, index) -> Candidate:
        location = f"OBX {self._field(obx, 1) or index}"
        ident = _split(self._field(obx, 3), self.component)
        get = lambda parts, i: parts[i] if len(parts) > i else ""  # noqa: E731
        codes = []
        if get(ident, 0):
            codes.append((get(ident, 2), get(ident, 0), get(ident, 1)))
        if get(ident, 3):
            codes.append((get(ident, 5), get(ident, 3), get(ident, 4)))
        value_type = self._field(obx, 2)
        raw_value = self._field(obx, 5)
        value = raw_value.split(self.component)
        text = value[1] if value_type in ("CE", "CWE") and len(value) > 1 and value[1] else value[0]
        number = None
        if value_type in ("NM", "SN"):
            try:
                number = float(text.replace(self.component, "").lstrip("<>="))
            except ValueError:
                number = None
        unit = _split(self._field(obx, 6), self.component)
        flags = _split(self._field(obx, 8), self.repetition)
        observed = _date(self._field(obx, 14)) or obr_date
        dedup = (
            f"hl7:{self.sender}:{self.control_id}:{self._field(obx, 1) or index}"
            if self.control_id
            else None
        )
        return Candidate(
            location=location,
            mrn=mrn or "",
            sender=self.sender,
            codes=codes,
            value=text,
            number=number,
            unit=get(unit, 0),
            flags=flags,
            status=self._field(obx, 11),
            observed_on=observed,
            dedup=dedup,
        )

    def ack(self, code: str, issues: list[Issue] = (), note: str = "") -> str:
        """The ACK (MSH, MSA, an ERR per problem), with sender and receiver swapped."""
        now = timezone.now().strftime("%Y%m%d%H%M%S")
        control = f"ACK{timezone.now():%Y%m%d%H%M%S%f}"[:20]
        segments = [
            "|".join(
                [
                    "MSH",
                    "^~\\&",
                    self.receiving_app or "RIFWORKUP",
                    self.receiving_facility or "",
                    self.sending_app,
                    self.sender,
                    now,
                    "",
                    "ACK^R01^ACK",
                    control,
                    "P",
                    self.version if self.version in SUPPORTED_VERSIONS else "2.5.1",
                ]
            ),
            "|".join(["MSA", code, _escape(self.control_id), _escape(note)[:80]]),
        ]
        for issue in issues:
            err, words = ERROR_CODES.get(issue.kind, ("207", "Application internal error"))
            segments.append(
                "|".join(
                    [
                        "ERR",
                        "",
                        _location(issue.location),
                        f"{err}^{words}^HL70357",
                        "E",
                        "",
                        "",
                        "",
                        _escape(issue.text)[:250],
                    ]
                )
            )
        return "\r".join(segments) + "\r"


def _location(text: str) -> str:
    """ERR-2 (error location) as segment^sequence, e.g. OBX^2."""
    clean = "".join(ch for ch in (text or "") if ch not in "|^~\\&\r\n")
    return "^".join(clean.split(" ", 1))


def _escape(text: str) -> str:
    """HL7 v2 escape sequences for the delimiters, so a message never breaks the ACK."""
    return (
        (text or "")
        .replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _date(value: str) -> date | None:
    digits = (value or "")[:8]
    if len(digits) == 8 and digits.isdigit():
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            return None
    return None
