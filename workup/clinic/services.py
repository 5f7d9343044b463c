"""Writes that touch several models: keyword-only functions, named verb-first.

Each keeps the checklist rows in step with the engine (``sync_steps``) so that the coordinator
queue, a database query, shows what the engine says.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from workup.evidence import engine, store
from workup.evidence import findings as spec
from workup.evidence.catalogue import Catalogue
from workup.evidence.facts import Facts

from .assessment import assess_workup, cycle_rows, findings_from_facts, plan_row
from .models import (
    CYCLE_COLUMNS,
    AddonRequest,
    ChecklistStep,
    Findings,
    PlannedCycle,
    StimulationCycle,
    WorkUp,
)
from .steps import HISTORY
from .stimulation import cycle_changes, cycles_words, plan_words
from .transfer_records import Transfer, transfer_rows

Status = ChecklistStep.Status


def plan_step_changes(
    *, workup: WorkUp, steps: list[ChecklistStep], answer: dict, now=None
) -> tuple[list[ChecklistStep], list[ChecklistStep]]:
    """Which checklist rows to create and which to update so the rows match the engine.

    Investigation rows follow the engine's checklist status; a pending one keeps the
    coordinator's 'scheduled' or 'awaiting findings'. Tracked next steps stay as the clinician
    left them while the engine still suggests them; one the engine no longer suggests is done
    (resolved by later findings), and reopens if the engine suggests it again.
    Pure apart from building unsaved model instances, so bulk seeding can use it too.
    """
    now = now or timezone.now()
    by_code = {s.code: s for s in steps}
    create, update = [], []

    for item in answer["checklist"]:
        step = by_code.get(item["code"])
        engine_status = item["status"]
        if step is None:
            step = ChecklistStep(
                workup=workup,
                code=item["code"],
                kind=ChecklistStep.Kind.INVESTIGATION,
                pillar=item["pillar"],
                status=engine_status,
            )
            if engine_status == Status.DONE:
                step.completed_at = now
            create.append(step)
            continue
        if engine_status == "pending":
            wanted = step.status if step.status in ChecklistStep.OPEN_STATUSES else Status.PENDING
        else:
            wanted = engine_status
        if wanted != step.status:
            step.status = wanted
            step.completed_at = now if wanted == Status.DONE else None
            update.append(step)

    suggested = {s["code"] for s in answer["next_steps"] if s["kind"] == "action"}
    for step in steps:
        if step.kind != ChecklistStep.Kind.ACTION:
            continue
        if step.status == Status.DONE and step.completed_manually:
            continue
        if step.code in suggested and not step.is_open:
            step.status = Status.PENDING
            step.completed_at = None
            update.append(step)
        elif step.code not in suggested and step.is_open:
            step.status = Status.DONE
            step.completed_at = now
            update.append(step)
    return create, update


def sync_steps(
    *, workup: WorkUp, catalogue: Catalogue | None = None, facts: Facts | None = None
) -> dict:
    """Bring the work-up's checklist rows in line with the engine; returns the answer.

    ``facts``: the work-up's facts when the caller has just validated them (a findings form),
    so they are not read back from the rows just written."""
    if facts is None:
        _, answer = assess_workup(workup, catalogue)
    else:
        answer = engine.assess(facts, catalogue or store.get_catalogue())
    steps = list(workup.steps.all())
    create, update = plan_step_changes(workup=workup, steps=steps, answer=answer)
    for step in create + update:
        step.save()
    return answer


@transaction.atomic
def create_workup(
    *,
    patient,
    clinician,
    user,
    workup_date: date | None = None,
    age_years: int | None = None,
    facts: Facts | None = None,
    catalogue: Catalogue | None = None,
) -> WorkUp:
    """A new work-up with its findings, previous cycles, add-on requests and checklist."""
    catalogue = catalogue or store.get_catalogue()
    workup_date = workup_date or timezone.localdate()
    if age_years is None:
        age_years = facts.age if facts is not None and facts.age else patient.age_on(workup_date)
    workup = WorkUp.objects.create(
        patient=patient,
        clinician=clinician,
        date=workup_date,
        age_years=age_years,
        created_by=user,
    )
    findings = Findings(workup=workup)
    if facts is not None:
        findings_from_facts(facts, findings)
    findings.save()
    if facts is not None:
        for row in cycle_rows(facts):
            StimulationCycle.objects.create(workup=workup, **row)
        plan = plan_row(facts)
        if plan is not None:
            PlannedCycle.objects.create(workup=workup, updated_by=user, **plan)
        for row in transfer_rows(facts):
            Transfer.objects.create(workup=workup, **row)
        for code in facts.addons_requested:
            AddonRequest.objects.create(workup=workup, addon_code=code, recorded_by=user)
        pillars = {code: inv.pillar for code, inv in catalogue.investigations.items()}
        for code in facts.indicated_by_clinician:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                pillar=pillars[code],
                clinician_decision=ChecklistStep.Decision.INDICATED,
            )
        for code, reason in facts.not_indicated_by_clinician:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                pillar=pillars[code],
                status=Status.NOT_INDICATED,
                clinician_decision=ChecklistStep.Decision.NOT_INDICATED,
                not_indicated_reason=reason,
            )
        for code in facts.completed_actions:
            ChecklistStep.objects.create(
                workup=workup,
                code=code,
                kind=ChecklistStep.Kind.ACTION,
                pillar=catalogue.next_steps[code].pillar,
                status=Status.DONE,
                completed_manually=True,
                completed_at=timezone.now(),
                completed_by=user,
            )
    sync_steps(workup=workup, catalogue=catalogue)
    return workup


# --- the clinician's writes ---------------------------------------------------------------------


class StaleEdit(Exception):
    """A save made on data someone else changed in the meantime; nothing was written."""

    def __init__(self, message: str, changes: list[str]):
        super().__init__(message)
        self.changes = changes


class SignedWorkUp(Exception):
    """A change to a signed work-up without an addendum reason."""


class Refused(Exception):
    """A change the record does not allow, whoever asks; nothing was written."""


def _who_last_changed(history_qs) -> str:
    record = history_qs.select_related("history_user").order_by("-history_date").first()
    if record is None:
        return gettext("Someone")
    user = record.history_user
    name = (user.get_full_name() or user.get_username()) if user else gettext("Someone")
    return gettext("%(name)s at %(time)s") % {
        "name": name,
        "time": f"{timezone.localtime(record.history_date):%H:%M}",
    }


def _addendum_if_signed(*, workup: WorkUp, user, reason: str | None, changes: list[str]):
    if not workup.is_signed:
        return None
    if not (reason or "").strip():
        raise SignedWorkUp(gettext("This work-up is signed: give the reason for the addendum."))
    from .models import Addendum

    return Addendum.objects.create(
        workup=workup, author=user, reason=reason.strip(), changes="; ".join(changes)
    )


def _check_version(model, pk: int, seen: int, *, label: str, changes_since):
    """Lock the row and refuse a stale save; returns the locked row."""
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        who = _who_last_changed(model.history.filter(**{model._meta.pk.attname: pk}))
        raise StaleEdit(
            gettext(
                "Not saved: %(what)s was removed while you were editing (%(who)s). Nothing was "
                "changed: reload the page."
            )
            % {"what": label, "who": who},
            [gettext("%(who)s: removed") % {"who": who}],
        )
    if row.version != seen:
        changes = changes_since()
        detail = "; ".join(changes) if changes else gettext("the same values were saved again")
        raise StaleEdit(
            gettext(
                "Not saved: %(what)s was changed while you were editing (%(detail)s). Your "
                "entries are kept below: check them against the new values and save again."
            )
            % {"what": label, "detail": detail},
            changes,
        )
    return row


@transaction.atomic
def record_findings(*, workup: WorkUp, code: str, form, cycles=None, user) -> list[str]:
    """Save one step's findings (and previous cycles), refusing stale data; returns the changes.

    On a signed work-up the change is kept as an addendum with its reason.
    """
    seen = form.cleaned_data["version"]
    original = form.original_values()

    def changes_since():
        current = Findings.objects.get(workup=workup)
        who = _who_last_changed(Findings.history.filter(workup_id=workup.pk))
        lines = spec.changed_lines(code, original, spec.snapshot(code, current))
        if cycles is not None and "cycles" in original:
            now = cycles_words(StimulationCycle.objects.filter(workup=workup).order_by("sequence"))
            if now != original["cycles"]:
                who = _who_last_changed(StimulationCycle.history.filter(workup_id=workup.pk))
                lines.append(f"Previous cycles: {original['cycles']} → {now}")
        return [f"{who}: {line}" for line in lines] if lines else []

    if code == HISTORY:
        locked = _check_version(
            WorkUp,
            workup.pk,
            seen,
            label=gettext_lazy("the transfer history"),
            changes_since=changes_since,
        )
    else:
        step = workup.steps.get(code=code)
        locked = _check_version(
            ChecklistStep,
            step.pk,
            seen,
            label=gettext_lazy("this step"),
            changes_since=changes_since,
        )

    findings = Findings.objects.select_for_update().get(workup=workup)
    before = spec.snapshot(code, findings)
    stored_cycles = list(StimulationCycle.objects.filter(workup=workup).order_by("sequence"))
    form.apply_to(findings)
    changes = spec.changed_lines(code, before, spec.snapshot(code, findings))
    if cycles is not None:
        new_cycles = cycles.unsaved_cycles()
        changes += cycle_changes(stored_cycles, new_cycles)
        save_cycles(workup=workup, stored=stored_cycles, wanted=new_cycles)
    reason = form.cleaned_data.get("addendum_reason")
    _addendum_if_signed(workup=workup, user=user, reason=reason, changes=changes)
    findings.save()
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    sync_steps(workup=WorkUp.objects.get(pk=workup.pk), facts=form.facts)
    return changes


def save_cycles(*, workup: WorkUp, stored: list, wanted: list) -> None:
    """Store the cycles row by row: a changed row is updated (its history says what changed),
    a new one created, one no longer there removed; an unchanged row is left alone."""
    for number, cycle in enumerate(wanted, start=1):
        row = stored[number - 1] if number <= len(stored) else None
        if row is None:
            cycle.workup = workup
            cycle.sequence = number
            cycle.save()
            continue
        values = {name: getattr(cycle, name) for name in CYCLE_COLUMNS}
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
    for row in stored[len(wanted) :]:
        row.delete()


def _changed_by(history_qs, lines: list[str]) -> list[str]:
    who = _who_last_changed(history_qs)
    return [f"{who}: {line}" for line in lines]


def _decision_words(step: ChecklistStep) -> str:
    labels = dict(ChecklistStep.Decision.choices)
    words = labels.get(step.clinician_decision, step.clinician_decision)
    return words + (f" ({step.not_indicated_reason})" if step.not_indicated_reason else "")


def _step_name(code: str, catalogue=None) -> str:
    catalogue = catalogue or store.get_catalogue()
    entry = catalogue.investigations.get(code) or catalogue.next_steps.get(code)
    return entry.name if entry else code


@transaction.atomic
def decide_step(
    *,
    workup: WorkUp,
    step: ChecklistStep,
    decision: str,
    reason: str,
    version: int,
    user,
    addendum_reason: str | None = None,
) -> None:
    """The clinician adds an investigation to the checklist, or rules it out with a reason."""
    name = _step_name(step.code)

    def changes_since():
        current = ChecklistStep.objects.get(pk=step.pk)
        history = ChecklistStep.history.filter(id=step.pk)
        return _changed_by(history, [f"{name}: {_decision_words(current)}"])

    locked = _check_version(
        ChecklistStep,
        step.pk,
        version,
        label=gettext("the decision on %(name)s") % {"name": name},
        changes_since=changes_since,
    )
    labels = dict(ChecklistStep.Decision.choices)
    change = f"{name}: {labels.get(decision, decision)}" + (f" ({reason})" if reason else "")
    _addendum_if_signed(workup=workup, user=user, reason=addendum_reason, changes=[change])
    locked.clinician_decision = decision
    locked.not_indicated_reason = reason if decision == ChecklistStep.Decision.NOT_INDICATED else ""
    locked.version += 1
    locked.save()
    sync_steps(workup=WorkUp.objects.get(pk=workup.pk))


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "nobody"


def _addon_names(catalogue=None) -> dict[str, str]:
    catalogue = catalogue or store.get_catalogue()
    return {code: addon.name for code, addon in catalogue.addons.items()}


@transaction.atomic
def record_planned_cycle(
    *,
    workup: WorkUp,
    user,
    version: int,
    protocol: str = "",
    daily_dose_iu: int | None = None,
    trigger: str = "",
    freeze_all: bool | None = None,
    adjuvants: list[str] | tuple = (),
    addendum_reason: str | None = None,
) -> list[str]:
    """Save the clinician's plan for the next stimulation, refusing a stale form.

    ``version`` is the plan's version the form was drawn from; 0: no plan was recorded then.
    Returns the change in words ([] when nothing changed). After sign-off the change is an
    addendum with its reason.
    """
    names = _addon_names()
    mine = {
        "protocol": protocol or "",
        "daily_dose_iu": daily_dose_iu,
        "trigger": trigger or "",
        "freeze_all": freeze_all,
        "adjuvants": list(adjuvants),
    }

    def refuse(plan):
        who = _who_last_changed(PlannedCycle.history.filter(workup_id=workup.pk))
        raise StaleEdit(
            gettext(
                "Not saved: the planned cycle was changed while you were editing (%(who)s: "
                "%(plan)s). Your entries are kept below: check them against the plan as it is "
                "now and save again."
            )
            % {"who": who, "plan": plan_words(plan, names)},
            [f"{who}: {plan_words(plan, names)}"],
        )

    plan = PlannedCycle.objects.select_for_update().filter(workup=workup).first()
    current_version = plan.version if plan is not None else 0
    if version != current_version:
        refuse(plan)
    before = plan_words(plan, names) if plan is not None else gettext("nothing decided yet")
    after = plan_words(mine, names)
    if plan is not None and all(getattr(plan, k) == v for k, v in mine.items()):
        return []
    change = gettext("Planned cycle: %(before)s → %(after)s") % {"before": before, "after": after}
    _addendum_if_signed(workup=workup, user=user, reason=addendum_reason, changes=[change])
    if plan is None:
        try:
            with transaction.atomic():
                PlannedCycle.objects.create(workup=workup, updated_by=user, **mine)
        except IntegrityError:
            refuse(PlannedCycle.objects.get(workup=workup))
    else:
        for name, value in mine.items():
            setattr(plan, name, value)
        plan.updated_by = user
        plan.version += 1
        plan.save()
    sync_steps(workup=WorkUp.objects.get(pk=workup.pk))
    return [change]


def _tracking_words(due_date, assignee) -> str:
    due = (
        gettext("due %(date)s") % {"date": date_format(due_date)}
        if due_date
        else gettext("no due date")
    )
    return gettext("%(due)s, assigned to %(who)s") % {"due": due, "who": _person(assignee)}


@transaction.atomic
def track_next_step(
    *,
    workup: WorkUp,
    code: str,
    user,
    version: int = 0,
    due_date=None,
    assignee=None,
    catalogue=None,
    addendum_reason: str | None = None,
):
    """Turn a suggested next step into a tracked checklist step (FHIR-style: plan -> task).

    ``version`` is the step's version the form was drawn from; 0: not tracked yet. A step
    someone else tracked in the meantime is refused with what they set.
    """
    catalogue = catalogue or store.get_catalogue()
    suggestion = catalogue.next_steps[code]
    mine = _tracking_words(due_date, assignee)

    def refuse(step):
        who = _who_last_changed(ChecklistStep.history.filter(id=step.pk))
        theirs = _tracking_words(step.due_date, step.assignee)
        raise StaleEdit(
            gettext(
                "Not saved: “%(name)s” was tracked while you were deciding (%(who)s: "
                "%(theirs)s). Your entries (%(mine)s) were not saved: change the step on the "
                "checklist if they should stand."
            )
            % {"name": suggestion.name, "who": who, "theirs": theirs, "mine": mine},
            [f"{who}: {theirs}"],
        )

    step = ChecklistStep.objects.select_for_update().filter(workup=workup, code=code).first()
    if step is not None and step.version != version:
        refuse(step)
    _addendum_if_signed(
        workup=workup,
        user=user,
        reason=addendum_reason,
        changes=[f"Tracked next step: {suggestion.name} ({mine})"],
    )
    if step is None:
        try:
            with transaction.atomic():
                step = ChecklistStep.objects.create(
                    workup=workup,
                    code=code,
                    kind=ChecklistStep.Kind.ACTION,
                    pillar=suggestion.pillar,
                    due_date=due_date,
                    assignee=assignee,
                )
        except IntegrityError:
            refuse(ChecklistStep.objects.get(workup=workup, code=code))
    else:
        step.due_date = due_date or step.due_date
        step.assignee = assignee or step.assignee
        if not step.is_open:
            step.status = Status.PENDING
            step.completed_manually = False
            step.completed_at = None
        step.version += 1
        step.save()
    sync_steps(workup=workup, catalogue=catalogue)
    return step


@transaction.atomic
def complete_action(
    *, step: ChecklistStep, user, version: int, addendum_reason: str | None = None
) -> None:
    """The clinician marks a tracked next step done (a polypectomy performed, say)."""
    name = _step_name(step.code)

    def changes_since():
        current = ChecklistStep.objects.select_related("assignee").get(pk=step.pk)
        status = current.get_status_display().lower()
        history = ChecklistStep.history.filter(id=step.pk)
        return _changed_by(
            history, [f"{name}: {status}, {_tracking_words(current.due_date, current.assignee)}"]
        )

    locked = _check_version(
        ChecklistStep, step.pk, version, label=f"“{name}”", changes_since=changes_since
    )
    workup = WorkUp.objects.get(pk=locked.workup_id)
    _addendum_if_signed(
        workup=workup, user=user, reason=addendum_reason, changes=[f"{name}: marked done"]
    )
    locked.status = Status.DONE
    locked.completed_manually = True
    locked.completed_by = user
    locked.completed_at = timezone.now()
    locked.version += 1
    locked.save()
    sync_steps(workup=workup)


def _already_requested(existing: AddonRequest, name: str) -> StaleEdit:
    who = _person(existing.recorded_by)
    when = f"{timezone.localtime(existing.recorded_at):%H:%M}"
    return StaleEdit(
        gettext(
            "Not recorded: a request for %(name)s was already recorded by %(who)s at %(when)s. "
            "See it among the requested add-ons below."
        )
        % {"name": name, "who": who, "when": when},
        [f"{who} at {when}: requested {name}"],
    )


@transaction.atomic
def add_addon_request(
    *, workup: WorkUp, code: str, requested_by: str, user, addendum_reason: str | None = None
) -> AddonRequest:
    """Record a requested add-on; one already recorded (a race included) is a conflict."""
    catalogue = store.get_catalogue()
    name = catalogue.addons[code].name
    existing = (
        AddonRequest.objects.select_related("recorded_by")
        .filter(workup=workup, addon_code=code)
        .first()
    )
    if existing is not None:
        raise _already_requested(existing, name)
    _addendum_if_signed(
        workup=workup, user=user, reason=addendum_reason, changes=[f"Add-on requested: {name}"]
    )
    try:
        with transaction.atomic():
            request = AddonRequest.objects.create(
                workup=workup, addon_code=code, requested_by=requested_by, recorded_by=user
            )
    except IntegrityError:
        existing = AddonRequest.objects.select_related("recorded_by").get(
            workup=workup, addon_code=code
        )
        raise _already_requested(existing, name) from None
    sync_steps(workup=workup, catalogue=catalogue)
    return request


@transaction.atomic
def withdraw_addon_request(
    *, request: AddonRequest, version: int, user, addendum_reason: str | None = None
) -> None:
    """The patient no longer asks about an add-on: the request goes (its history stays)."""
    catalogue = store.get_catalogue()
    entry = catalogue.addons.get(request.addon_code)
    name = entry.name if entry else request.addon_code

    def changes_since():
        current = AddonRequest.objects.get(pk=request.pk)
        history = AddonRequest.history.filter(id=request.pk)
        return _changed_by(history, [f"counselling on {name}: {counselling_words(current)}"])

    locked = _check_version(
        AddonRequest,
        request.pk,
        version,
        label=gettext("the request for %(name)s") % {"name": name},
        changes_since=changes_since,
    )
    if locked.kept_sheets.exists():
        raise Refused(
            gettext(
                "The request for %(name)s stays on the record: the patient was counselled on it "
                "and the sheet they read is kept with it. Record a new counselling outcome "
                "instead."
            )
            % {"name": name}
        )
    workup = WorkUp.objects.get(pk=locked.workup_id)
    _addendum_if_signed(
        workup=workup, user=user, reason=addendum_reason, changes=[f"Add-on withdrawn: {name}"]
    )
    locked.delete()
    sync_steps(workup=workup, catalogue=catalogue)


def counselling_words(request: AddonRequest) -> str:
    words = request.get_outcome_display()
    return words + (f" ({request.outcome_reason})" if request.outcome_reason else "")


@transaction.atomic
def record_counselling(
    *,
    request: AddonRequest,
    outcome: str,
    reason: str,
    version: int,
    user,
    addendum_reason: str | None = None,
    override_reason: str = "",
) -> None:
    """Record the counselling outcome on an add-on request, refusing a stale form.

    "Proceeding against advice" keeps its coded reason and the patient sheet the patient read."""
    catalogue = store.get_catalogue()
    entry = catalogue.addons.get(request.addon_code)
    name = entry.name if entry else request.addon_code

    def changes_since():
        current = AddonRequest.objects.get(pk=request.pk)
        history = AddonRequest.history.filter(id=request.pk)
        return _changed_by(history, [f"counselling on {name}: {counselling_words(current)}"])

    locked = _check_version(
        AddonRequest,
        request.pk,
        version,
        label=gettext("the counselling on %(name)s") % {"name": name},
        changes_since=changes_since,
    )
    workup = WorkUp.objects.get(pk=locked.workup_id)
    label = dict(AddonRequest.Outcome.choices)[outcome]
    _addendum_if_signed(
        workup=workup,
        user=user,
        reason=addendum_reason,
        changes=[f"Counselling on {name}: {label}" + (f" ({reason.strip()})" if reason else "")],
    )
    locked.outcome = outcome
    locked.outcome_reason = reason.strip()
    locked.counselled_by = user
    locked.counselled_at = timezone.now()
    against_advice = outcome == AddonRequest.Outcome.AGAINST_ADVICE
    locked.override_reason = override_reason if against_advice else ""
    locked.version += 1
    locked.save()
    if against_advice:
        # What the patient read before deciding: the sheet's exact PDF, kept with the reason.
        from workup.guardrail.sheets import keep_patient_sheet

        keep_patient_sheet(request=locked, user=user)


def signing_changes(*, workup: WorkUp, since, catalogue, seen_revision) -> list[str]:
    """What changed on the work-up after ``since`` (when the signer's page was drawn), by whom."""
    from .history import workup_history

    lines = []
    if since is not None:
        for change in workup_history(workup, catalogue):
            if change.when <= since:
                break
            detail = "; ".join(change.lines)
            lines.append(f"{change.who} {change.what}" + (f" ({detail})" if detail else ""))
    if seen_revision is not None and seen_revision != catalogue.revision:
        lines.append(
            gettext(
                "the evidence catalogue was updated (a review or an edit: revision %(old)s → "
                "%(new)s), which changes the advice"
            )
            % {"old": seen_revision, "new": catalogue.revision}
        )
    return list(reversed(lines)) if lines else []


@transaction.atomic
def sign_workup(
    *,
    workup: WorkUp,
    user,
    version: int,
    seen: str | None,
    seen_at=None,
    seen_revision: int | None = None,
    catalogue=None,
) -> None:
    """Sign what the signer saw: the whole work-up as it stands, frozen from now on.

    ``seen`` is the fingerprint the sign form carried (``signed.fingerprint``): a change by
    anyone since (a finding, a decision, an add-on or its counselling, the catalogue's advice)
    refuses the signature and says who changed what. Later changes are addenda with a reason.
    """
    from .presenters import load_workup
    from .signed import fingerprint, freeze

    catalogue = catalogue or store.get_catalogue()

    locked = WorkUp.objects.select_for_update().get(pk=workup.pk)
    if locked.is_signed:
        raise SignedWorkUp(gettext("This work-up is already signed."))
    fresh = load_workup(workup.pk)
    facts, answer = assess_workup(fresh, catalogue)
    if locked.version != version or seen is None or fingerprint(fresh, answer) != seen:
        changes = signing_changes(
            workup=workup, since=seen_at, catalogue=catalogue, seen_revision=seen_revision
        )
        detail = (
            "; ".join(changes) if changes else gettext("the page you signed from is out of date")
        )
        raise StaleEdit(
            gettext(
                "Not signed: the work-up changed after you opened it (%(detail)s). Review the "
                "page as it is now and sign again."
            )
            % {"detail": detail},
            changes,
        )
    now = timezone.now()
    locked.status = WorkUp.Status.SIGNED
    locked.signed_by = user
    locked.signed_at = now
    locked.signed_catalogue_version = f"{catalogue.version} (revision {catalogue.revision})"
    locked.signed_assessment = freeze(
        workup=fresh, facts=facts, answer=answer, catalogue=catalogue, now=now
    )
    locked.version += 1
    locked.save()
