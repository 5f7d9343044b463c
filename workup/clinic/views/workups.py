"""The work-up page and the writes it offers: findings, decisions, tracking, add-ons, sign-off.

Every write is a POST that redirects back to the same spot of the page (post/redirect/get); a
refused write re-renders the page with the form open, the user's entries kept and the messages
beside the fields. Nothing is stored on error.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from workup.evidence import engine, store
from workup.evidence.engine import cited_sources

from ..forms import (
    AddonRequestForm,
    CounsellingForm,
    CycleFormSet,
    DecisionForm,
    SignForm,
    TrackForm,
    findings_form_class,
    staff_who_track,
)
from ..history import workup_history as history_of
from ..models import AddonRequest, ChecklistStep, WorkUp
from ..presenters import load_workup, workup_context
from ..services import (
    SignedWorkUp,
    StaleEdit,
    add_addon_request,
    complete_action,
    decide_step,
    record_counselling,
    record_findings,
    sign_workup,
    track_next_step,
)
from ..steps import HISTORY, STEP_FIELDS, WITH_CYCLES

HISTORY_ON_PAGE = 8
DEFAULT_DUE_DAYS = 14


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def home(request):
    workups = WorkUp.objects.select_related("patient", "clinician").order_by("-date", "-pk")
    mine = request.user.has_perm("clinic.record_findings")
    if mine:
        workups = workups.filter(clinician=request.user, status=WorkUp.Status.OPEN)
    page = Paginator(workups, 25).get_page(request.GET.get("page"))
    return render(request, "clinic/home.html", {"page": page, "mine": mine})


# --- building the page --------------------------------------------------------------------------


def _step_versions(workup):
    return {s.code: s.version for s in workup.steps.all()}


def findings_form(workup, catalogue, code, data=None, version=None):
    """The findings form (and cycles formset) of one step, unbound or bound to POST data."""
    if code not in STEP_FIELDS or (code != HISTORY and code not in catalogue.investigations):
        raise Http404("No such step.")
    if version is None:
        version = workup.version if code == HISTORY else _step_versions(workup).get(code, 1)
    cycles = None
    if code in WITH_CYCLES:
        cycles = CycleFormSet(data, prefix="cycles", queryset=workup.cycles.all())
    form = findings_form_class(code)(
        data,
        prefix=code,
        workup=workup,
        catalogue=catalogue,
        code=code,
        version=version,
        cycles=cycles,
    )
    return form, cycles


def page_forms(request, workup, catalogue, answer, bound=None, open_step=None) -> dict:
    """The forms the user's role may use on this page; ``bound`` replaces some by POSTed ones.

    Only the open step's findings form is built (the others are a link that opens them): a
    page of fourteen open forms would cost more to draw than everything else on it.
    """
    user = request.user
    out: dict = {"findings": {}, "decisions": {}, "counselling": {}, "track": {}}
    known = open_step == HISTORY or open_step in catalogue.investigations
    if user.has_perm("clinic.record_findings") and open_step and known:
        versions = _step_versions(workup)
        form, cycles = findings_form(workup, catalogue, open_step)
        out["findings"][open_step] = form
        if cycles is not None:
            out["cycles"] = cycles
        step = next((s for s in workup.steps.all() if s.code == open_step), None)
        if step is not None and step.kind == ChecklistStep.Kind.INVESTIGATION:
            out["decisions"][open_step] = DecisionForm(
                prefix=f"decide-{open_step}",
                workup=workup,
                initial={
                    "decision": step.clinician_decision,
                    "reason": step.not_indicated_reason,
                    "version": versions[open_step],
                },
            )
    if user.has_perm("clinic.record_findings"):
        out["addon"] = AddonRequestForm(prefix="addon", workup=workup, catalogue=catalogue)
    if user.has_perm("clinic.counsel_addon"):
        for request_row in workup.addon_requests.all():
            out["counselling"][request_row.addon_code] = CounsellingForm(
                prefix=f"counsel-{request_row.pk}", instance=request_row, workup=workup
            )
    if user.has_perm("clinic.manage_steps"):
        due = timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS)
        people = list(staff_who_track())  # one query for every track form on the page
        for step in answer["next_steps"]:
            if step["kind"] == "action":
                out["track"][step["code"]] = TrackForm(
                    prefix=f"track-{step['code']}",
                    catalogue=catalogue,
                    people=people,
                    initial={"code": step["code"], "due_date": due, "assignee": workup.clinician},
                )
    if user.has_perm("clinic.sign_workup") and not workup.is_signed:
        out["sign"] = SignForm(prefix="sign", initial={"version": workup.version})
    for key, form in (bound or {}).items():
        group, _, code = key.partition(":")
        if code:
            out[group][code] = form
        else:
            out[group] = form
    return out


def render_workup(request, workup, bound=None, open_step=None):
    context = workup_context(workup)
    catalogue = context["catalogue"]
    context["forms"] = page_forms(request, workup, catalogue, context["answer"], bound, open_step)
    context["history"] = history_of(workup, catalogue, limit=HISTORY_ON_PAGE, clinical_only=True)
    # Only a signed work-up can have addenda: an open one spares the query.
    context["addenda"] = list(workup.addenda.select_related("author")) if workup.is_signed else []
    context["open_step"] = open_step
    context["tracked_codes"] = {s.code for s in context["tracked_steps"]}
    return render(request, "clinic/workup_detail.html", context)


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def workup_detail(request, pk):
    # ?open=<step> opens that step's form without JavaScript (links from the next steps).
    return render_workup(request, load_workup(pk), open_step=request.GET.get("open"))


def _back(workup, anchor):
    return redirect(f"{workup.get_absolute_url()}#{anchor}")


# --- findings -----------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def record_step(request, pk, code):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form, cycles = findings_form(workup, catalogue, code, data=request.POST)
    cycles_ok = cycles is None or cycles.is_valid()
    if cycles_ok and form.is_valid():
        try:
            changes = record_findings(
                workup=workup, code=code, form=form, cycles=cycles, user=request.user
            )
        except StaleEdit as stale:
            # Keep what the user typed, against the new version, and say what changed.
            data = request.POST.copy()
            fresh = load_workup(pk)
            current, _ = findings_form(fresh, catalogue, code)
            data[form.add_prefix("version")] = current.fields["version"].initial
            data[form.add_prefix("original")] = current.fields["original"].initial
            form, cycles = findings_form(fresh, catalogue, code, data=data)
            form.is_valid()
            form.add_error(None, str(stale))
            workup = fresh
        except SignedWorkUp as signed:
            form.add_error(
                "addendum_reason" if "addendum_reason" in form.fields else None, str(signed)
            )
        else:
            name = "Transfer history" if code == HISTORY else catalogue.investigations[code].name
            if changes:
                messages.success(request, f"{name} saved: " + "; ".join(changes) + ".")
            else:
                messages.info(request, f"{name}: nothing changed.")
            return _back(workup, f"step-{code}")
    bound = {f"findings:{code}": form}
    if cycles is not None:
        bound["cycles"] = cycles
    return render_workup(request, workup, bound=bound, open_step=code)


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def decide(request, pk, code):
    workup = load_workup(pk)
    step = get_object_or_404(
        ChecklistStep, workup=workup, code=code, kind=ChecklistStep.Kind.INVESTIGATION
    )
    form = DecisionForm(request.POST, prefix=f"decide-{code}", workup=workup)
    if form.is_valid():
        try:
            decide_step(
                workup=workup,
                step=step,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
                user=request.user,
                addendum_reason=form.cleaned_data.get("addendum_reason"),
            )
        except StaleEdit:
            form.add_error(None, "Not saved: this step changed while you were editing. Reload.")
        except SignedWorkUp as signed:
            form.add_error(None, str(signed))
        else:
            messages.success(request, "Checklist decision saved.")
            return _back(workup, f"step-{code}")
    return render_workup(request, workup, bound={f"decisions:{code}": form}, open_step=code)


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def preview_step(request, pk, code):
    """The advice panel as it would be with the form's unsaved entries (for the live panel).

    Answers 204 while the entries are not valid yet. Writes nothing.
    """
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form, cycles = findings_form(workup, catalogue, code, data=request.POST)
    if "addendum_reason" in form.fields:
        form.fields["addendum_reason"].required = False
    if not ((cycles is None or cycles.is_valid()) and form.is_valid()):
        return HttpResponse(status=204)
    context = workup_context(workup)
    answer = engine.assess(form.facts, catalogue)
    numbers = dict(context["ref_numbers"])
    for key in cited_sources(answer):
        numbers.setdefault(key, len(numbers) + 1)
    context.update(
        answer=answer,
        ref_numbers=numbers,
        preview=True,
        forms={"findings": {}, "track": {}, "counselling": {}},
        tracked_codes={s.code for s in context["tracked_steps"]},
    )
    return render(request, "clinic/partials/advice.html", context)


# --- next steps become tracked steps ------------------------------------------------------------


@require_POST
@permission_required("clinic.manage_steps", raise_exception=True)
def track(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    code = request.POST.get("code", "")
    if code not in catalogue.next_steps:
        messages.error(request, "Choose a next step to track.")
        return _back(workup, "next-steps-title")
    form = TrackForm(
        request.POST, prefix=f"track-{code}", catalogue=catalogue, people=list(staff_who_track())
    )
    if form.is_valid():
        step = track_next_step(
            workup=workup,
            code=form.cleaned_data["code"],
            user=request.user,
            due_date=form.cleaned_data["due_date"],
            assignee=form.cleaned_data["assignee"],
            catalogue=catalogue,
        )
        name = catalogue.next_steps[step.code].name
        messages.success(request, f"“{name}” is now a tracked step on the checklist.")
        return _back(workup, f"step-{step.code}")
    return render_workup(request, workup, bound={f"track:{code}": form})


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def complete_step(request, pk, code):
    workup = load_workup(pk)
    step = get_object_or_404(
        ChecklistStep, workup=workup, code=code, kind=ChecklistStep.Kind.ACTION
    )
    complete_action(step=step, user=request.user)
    messages.success(request, "Step marked done.")
    return _back(workup, f"step-{code}")


# --- add-ons ------------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def add_addon(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form = AddonRequestForm(request.POST, prefix="addon", workup=workup, catalogue=catalogue)
    if form.is_valid():
        try:
            add_addon_request(
                workup=workup,
                code=form.cleaned_data["addon_code"],
                requested_by=form.cleaned_data["requested_by"],
                user=request.user,
                addendum_reason=form.cleaned_data.get("addendum_reason"),
            )
        except SignedWorkUp as signed:
            form.add_error(None, str(signed))
        else:
            name = catalogue.addons[form.cleaned_data["addon_code"]].name
            messages.success(request, f"Request for {name} recorded: see its flag below.")
            return _back(workup, f"addon-{form.cleaned_data['addon_code']}")
    return render_workup(request, workup, bound={"addon": form})


@require_POST
@permission_required("clinic.counsel_addon", raise_exception=True)
def counsel_addon(request, pk, request_pk):
    workup = load_workup(pk)
    request_row = get_object_or_404(AddonRequest, pk=request_pk, workup=workup)
    form = CounsellingForm(
        request.POST, prefix=f"counsel-{request_row.pk}", instance=request_row, workup=workup
    )
    if form.is_valid():
        try:
            record_counselling(
                request=AddonRequest.objects.get(pk=request_row.pk),
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["outcome_reason"],
                user=request.user,
                addendum_reason=form.cleaned_data.get("addendum_reason"),
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except SignedWorkUp as signed:
            form.add_error(None, str(signed))
        else:
            messages.success(request, "Counselling outcome recorded.")
            return _back(workup, f"addon-{request_row.addon_code}")
    return render_workup(request, workup, bound={f"counselling:{request_row.addon_code}": form})


# --- sign-off and history -----------------------------------------------------------------------


@require_POST
@permission_required("clinic.sign_workup", raise_exception=True)
def sign(request, pk):
    workup = load_workup(pk)
    form = SignForm(request.POST, prefix="sign")
    if form.is_valid():
        try:
            sign_workup(workup=workup, user=request.user, version=form.cleaned_data["version"])
        except StaleEdit:
            form.add_error(
                None, "Not signed: the work-up changed while you were reading. Review it again."
            )
        except SignedWorkUp as signed:
            form.add_error(None, str(signed))
        else:
            messages.success(
                request, "Work-up signed. Findings are locked; later changes are addenda."
            )
            return _back(workup, "sign-off")
    return render_workup(request, workup, bound={"sign": form})


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def workup_history(request, pk):
    workup = get_object_or_404(WorkUp.objects.select_related("patient"), pk=pk)
    catalogue = store.get_catalogue()
    page = Paginator(history_of(workup, catalogue), 50).get_page(request.GET.get("page"))
    addenda = workup.addenda.select_related("author")
    return render(
        request,
        "clinic/workup_history.html",
        {"workup": workup, "patient": workup.patient, "page": page, "addenda": addenda},
    )
