"""The work-up page and the writes it offers: findings, decisions, tracking, add-ons, sign-off.

Every write is a POST that redirects back to the same spot of the page (post/redirect/get), where
the page shows a "saved" note and what changed in the advice; a refused write re-renders the page
with the form open, the user's entries kept, the messages beside the fields and an error summary
that links to them. Nothing is stored on error. The page's script posts the same forms and gets
the page's regions back instead (see ``inplace``).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from workup.evidence import engine, store
from workup.evidence.engine import cited_sources
from workup.evidence.presenting import number_sources

from ..assessment import assess_workup
from ..forms import (
    AddonRequestForm,
    CompleteForm,
    CounsellingForm,
    DecisionForm,
    SignForm,
    TrackForm,
    WithdrawForm,
    cycle_formset,
    findings_form_class,
    staff_who_track,
)
from ..history import workup_history as history_of
from ..models import AddonRequest, ChecklistStep, StimulationCycle, WorkUp
from ..presenters import load_workup, workup_context
from ..services import (
    Refused,
    SignedWorkUp,
    StaleEdit,
    add_addon_request,
    complete_action,
    decide_step,
    record_counselling,
    record_findings,
    sign_workup,
    track_next_step,
    withdraw_addon_request,
)
from ..signed import fingerprint
from ..steps import FORM_STEPS, HISTORY, WITH_CYCLES
from ..transfer_forms import show_derived_counts
from ..transfer_presenters import transfer_page
from .inplace import (
    REGIONS_HEADER,
    Note,
    advice_before,
    note_context,
    recall,
    refusal,
    remember,
    wants_regions,
)
from .stimulation import plan_form

HISTORY_ON_PAGE = 8
DEFAULT_DUE_DAYS = 14


# --- building the page --------------------------------------------------------------------------


def _step_versions(workup):
    return {s.code: s.version for s in workup.steps.all()}


def findings_form(workup, catalogue, code, data=None, version=None):
    """The findings form (and cycles formset) of one step, unbound or bound to POST data."""
    if code not in FORM_STEPS or (code != HISTORY and code not in catalogue.investigations):
        raise Http404(gettext_lazy("No such step."))
    if version is None:
        version = workup.version if code == HISTORY else _step_versions(workup).get(code, 1)
    cycles = None
    if code in WITH_CYCLES:
        # Its own rows, not the page's prefetched ones: a refused form must not change what the
        # page around it shows (a model form writes its entries into its instances).
        cycles = cycle_formset(data, queryset=StimulationCycle.objects.filter(workup=workup))
    form = findings_form_class(code)(
        data,
        prefix=code,
        workup=workup,
        catalogue=catalogue,
        code=code,
        version=version,
        cycles=cycles,
    )
    if code == HISTORY:
        show_derived_counts(form, workup)
    return form, cycles


def page_forms(request, workup, catalogue, answer, bound=None, open_step=None) -> dict:
    """The forms the user's role may use on this page; ``bound`` replaces some by POSTed ones.

    Only the open step's findings form is built (the others are a link that opens them): a
    page of fourteen open forms would cost more to draw than everything else on it.
    """
    user = request.user
    out: dict = {
        "findings": {},
        "decisions": {},
        "counselling": {},
        "track": {},
        "complete": {},
        "withdraw": {},
    }
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
        out["plan"] = plan_form(workup, catalogue)  # the stimulation panel's plan
        out["addon"] = AddonRequestForm(prefix="addon", workup=workup, catalogue=catalogue)
        for request_row in workup.addon_requests.all():
            if getattr(request_row, "has_kept_sheet", False):
                continue  # it stays on the record with the sheet the patient read
            out["withdraw"][request_row.addon_code] = WithdrawForm(
                prefix=f"withdraw-{request_row.pk}",
                workup=workup,
                initial={"version": request_row.version},
            )
        for step in workup.steps.all():
            if step.kind == ChecklistStep.Kind.ACTION and step.is_open:
                out["complete"][step.code] = CompleteForm(
                    prefix=f"complete-{step.code}", workup=workup, initial={"version": step.version}
                )
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
                    workup=workup,
                    initial={"code": step["code"], "due_date": due, "assignee": workup.clinician},
                )
    if user.has_perm("clinic.sign_workup") and not workup.is_signed:
        out["sign"] = SignForm(prefix="sign", initial=sign_initial(workup, catalogue, answer))
    for key, form in (bound or {}).items():
        group, _, code = key.partition(":")
        if code:
            out[group][code] = form
        else:
            out[group] = form
    return out


def sign_initial(workup, catalogue, answer) -> dict:
    """What the sign form carries: the versions and a fingerprint of what the page shows."""
    return {
        "version": workup.version,
        "seen": fingerprint(workup, answer),
        "seen_at": timezone.now().isoformat(),
        "seen_revision": catalogue.revision,
    }


def render_workup(request, workup, bound=None, open_step=None, note=None, regions=None):
    """The work-up page, or (for the page's script) its regions to swap in place.

    ``bound`` holds POSTed forms (a refused save: the page shows an error summary for it),
    ``note`` the "saved" note of a write that went through.
    """
    context = workup_context(workup)
    catalogue = context["catalogue"]
    # Forms act on the record as it is now: the current answer, not a signed one.
    answer = context["current_answer"]
    context["forms"] = page_forms(request, workup, catalogue, answer, bound, open_step)
    context["transfer_table"] = transfer_page(
        request, workup, answer, bound or {}, open_step, catalogue
    )
    context["history"] = history_of(workup, catalogue, limit=HISTORY_ON_PAGE, clinical_only=True)
    # Only a signed work-up with addenda reads them (load_workup knows whether it has any).
    has_addenda = workup.is_signed and getattr(workup, "has_addenda", True)
    context["addenda"] = list(workup.addenda.select_related("author")) if has_addenda else []
    context["open_step"] = open_step
    context["tracked_codes"] = {s.code for s in context["tracked_steps"]}
    context["saved"] = note_context(note, answer)
    # The advice column shows today's answer unless a signed one is kept: only then can it
    # mark what this save changed (a signed page says so in the note instead).
    shows_today = context["answer"] is answer
    context["marks"] = context["saved"]["delta"] if context["saved"] and shows_today else None
    context["refused"] = refusal(bound, catalogue)
    regions = wants_regions(request) if regions is None else regions
    # Without the script the summary of a refused save heads the page (in view as it loads);
    # with it, the summary heads the form, where the script moves the focus.
    context["summary_in_form"] = regions
    if not regions:
        return render(request, "clinic/workup_detail.html", context)
    response = render(request, "clinic/workup_regions.html", context)
    response[REGIONS_HEADER] = "1"
    add_never_cache_headers(response)
    return response


@require_safe
@permission_required("clinic.view_workup", raise_exception=True)
def workup_detail(request, pk):
    # ?open=<step> opens that step's form without JavaScript (links from the next steps).
    # Always the whole page: a script that followed a redirect here gets no regions, and posts
    # the form the plain way instead.
    workup = load_workup(pk)
    note = recall(request, workup)
    return render_workup(
        request, workup, open_step=request.GET.get("open"), note=note, regions=False
    )


def _back(workup, anchor):
    return redirect(f"{workup.get_absolute_url()}#{anchor}")


def saved(request, workup, note: Note):
    """The answer to a write that went through: the page's regions with the note (for the
    script), or a redirect to the note's spot of the page with the note kept for it."""
    if wants_regions(request):
        return render_workup(request, load_workup(workup.pk), note=note)
    remember(request, workup, note)
    return _back(workup, note.anchor)


def save_or_explain(
    request, workup, form, *, key, write, done, anchor, rebind=None, open_step=None
):
    """The tail every clinical write shares: run the service, then show ``done`` at ``anchor``.

    A stale form (someone changed the row since it was drawn) keeps the entries and says who
    changed what; ``rebind`` (the form rebuilt on given data, and the version now stored) moves
    the entries to the new version, so saving them again goes through. A change to a signed
    work-up without a reason asks for one. Nothing is stored on either.
    """
    if form.is_valid():
        before = advice_before(workup)
        try:
            write(form.cleaned_data)
        except StaleEdit as stale:
            if rebind is not None:
                build, version = rebind
                data = form.data.copy()
                data[form.add_prefix("version")] = version()
                form = build(data)
                form.is_valid()
            form.add_error(None, str(stale))
        except SignedWorkUp as signed:
            field = "addendum_reason" if "addendum_reason" in form.fields else None
            form.add_error(field, str(signed))
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            return saved(request, workup, Note(anchor, done(form.cleaned_data), before=before))
    return render_workup(request, load_workup(workup.pk), bound={key: form}, open_step=open_step)


# --- findings -----------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def record_step(request, pk, code):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form, cycles = findings_form(workup, catalogue, code, data=request.POST)
    cycles_ok = cycles is None or cycles.is_valid()
    if cycles_ok and form.is_valid():
        before = advice_before(workup, catalogue)
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
            name = (
                gettext("Transfer history")
                if code == HISTORY
                else catalogue.investigations[code].name
            )
            anchor = f"step-{code}"
            if changes:
                message = gettext("%(name)s saved: %(changes)s.") % {
                    "name": name,
                    "changes": "; ".join(changes),
                }
                note = Note(anchor, message, before=before, place=name, findings=True)
            else:
                message = gettext("%(name)s: nothing changed.") % {"name": name}
                note = Note(anchor, message, "info", place=name)
            return saved(request, workup, note)
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

    def build(data):
        return DecisionForm(data, prefix=f"decide-{code}", workup=workup)

    form = build(request.POST)

    def write(data):
        decide_step(
            workup=workup,
            step=step,
            decision=data["decision"],
            reason=data["reason"],
            version=data["version"],
            user=request.user,
            addendum_reason=data.get("addendum_reason"),
        )

    response = save_or_explain(
        request,
        workup,
        form,
        key=f"decisions:{code}",
        write=write,
        done=lambda data: gettext("Checklist decision saved."),
        anchor=f"step-{code}",
        rebind=(build, lambda: ChecklistStep.objects.get(pk=step.pk).version),
        open_step=code,
    )
    return response


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
    # The page's numbers stay; a source only the preview cites is numbered after them.
    numbers = number_sources([*context["ref_numbers"], *cited_sources(answer)])
    context.update(
        answer=answer,
        sources=catalogue.sources,
        ref_numbers=numbers,
        preview=True,
        forms={"findings": {}, "track": {}, "counselling": {}},
        tracked_codes={s.code for s in context["tracked_steps"]},
    )
    response = render(request, "clinic/preview_regions.html", context)
    response[REGIONS_HEADER] = "1"
    add_never_cache_headers(response)
    return response


# --- next steps become tracked steps ------------------------------------------------------------


@require_POST
@permission_required("clinic.manage_steps", raise_exception=True)
def track(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    code = request.POST.get("code", "")
    if code not in catalogue.next_steps:
        messages.error(request, gettext_lazy("Choose a next step to track."))
        return _back(workup, "next-steps-title")
    form = TrackForm(
        request.POST,
        prefix=f"track-{code}",
        catalogue=catalogue,
        people=list(staff_who_track()),
        workup=workup,
    )
    if form.is_valid():
        before = advice_before(workup, catalogue)
        try:
            step = track_next_step(
                workup=workup,
                code=form.cleaned_data["code"],
                user=request.user,
                version=form.cleaned_data["version"],
                due_date=form.cleaned_data["due_date"],
                assignee=form.cleaned_data["assignee"],
                catalogue=catalogue,
                addendum_reason=form.cleaned_data.get("addendum_reason"),
            )
        except StaleEdit as stale:
            # The step is tracked now, so its form is gone from the page: say it at the step.
            return saved(request, workup, Note(f"next-{code}", str(stale), "warning"))
        except SignedWorkUp as signed:
            form.add_error("addendum_reason", str(signed))
        else:
            name = catalogue.next_steps[step.code].name
            message = gettext("“%(name)s” is now a tracked step on the checklist.") % {"name": name}
            note = Note(f"next-{step.code}", message, before=before, place=name)
            return saved(request, workup, note)
    return render_workup(request, workup, bound={f"track:{code}": form})


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def complete_step(request, pk, code):
    workup = load_workup(pk)
    step = get_object_or_404(
        ChecklistStep, workup=workup, code=code, kind=ChecklistStep.Kind.ACTION
    )

    def build(data):
        return CompleteForm(data, prefix=f"complete-{code}", workup=workup)

    return save_or_explain(
        request,
        workup,
        build(request.POST),
        key=f"complete:{code}",
        write=lambda data: complete_action(
            step=step,
            user=request.user,
            version=data["version"],
            addendum_reason=data.get("addendum_reason"),
        ),
        done=lambda data: gettext("Step marked done."),
        anchor=f"step-{code}",
        rebind=(build, lambda: ChecklistStep.objects.get(pk=step.pk).version),
    )


# --- add-ons ------------------------------------------------------------------------------------


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def add_addon(request, pk):
    workup = load_workup(pk)
    catalogue = store.get_catalogue()
    form = AddonRequestForm(request.POST, prefix="addon", workup=workup, catalogue=catalogue)
    code = request.POST.get("addon-addon_code", "")
    return save_or_explain(
        request,
        workup,
        form,
        key="addon",
        write=lambda data: add_addon_request(
            workup=workup,
            code=data["addon_code"],
            requested_by=data["requested_by"],
            user=request.user,
            addendum_reason=data.get("addendum_reason"),
        ),
        done=lambda data: (
            gettext("Request for %(name)s recorded: see its flag below.")
            % {"name": catalogue.addons[data["addon_code"]].name}
        ),
        anchor=f"addon-{code}",
    )


@require_POST
@permission_required("clinic.counsel_addon", raise_exception=True)
def counsel_addon(request, pk, request_pk):
    workup = load_workup(pk)
    request_row = get_object_or_404(AddonRequest, pk=request_pk, workup=workup)

    def build(data):
        return CounsellingForm(
            data,
            prefix=f"counsel-{request_row.pk}",
            instance=AddonRequest.objects.get(pk=request_row.pk),
            workup=workup,
        )

    return save_or_explain(
        request,
        workup,
        build(request.POST),
        key=f"counselling:{request_row.addon_code}",
        write=lambda data: record_counselling(
            request=request_row,
            outcome=data["outcome"],
            reason=data["outcome_reason"],
            version=data["version"],
            user=request.user,
            addendum_reason=data.get("addendum_reason"),
            override_reason=data.get("override_reason", ""),
        ),
        done=lambda data: gettext("Counselling outcome recorded."),
        anchor=f"addon-{request_row.addon_code}",
        rebind=(build, lambda: AddonRequest.objects.get(pk=request_row.pk).version),
    )


@require_POST
@permission_required("clinic.record_findings", raise_exception=True)
def withdraw_addon(request, pk, request_pk):
    workup = load_workup(pk)
    request_row = get_object_or_404(AddonRequest, pk=request_pk, workup=workup)

    def build(data):
        return WithdrawForm(data, prefix=f"withdraw-{request_row.pk}", workup=workup)

    return save_or_explain(
        request,
        workup,
        build(request.POST),
        key=f"withdraw:{request_row.addon_code}",
        write=lambda data: withdraw_addon_request(
            request=request_row,
            version=data["version"],
            user=request.user,
            addendum_reason=data.get("addendum_reason"),
        ),
        done=lambda data: gettext("Add-on request withdrawn."),
        anchor="addons",
        rebind=(build, lambda: AddonRequest.objects.get(pk=request_row.pk).version),
    )


# --- sign-off and history -----------------------------------------------------------------------


@require_POST
@permission_required("clinic.sign_workup", raise_exception=True)
def sign(request, pk):
    workup = load_workup(pk)

    def build(data):
        return SignForm(data, prefix="sign")

    def fresh():
        """The sign form as the page now draws it, the confirmation as it was ticked."""
        current = load_workup(pk)
        catalogue = store.get_catalogue()
        _, answer = assess_workup(current, catalogue)
        data = request.POST.copy()
        for name, value in sign_initial(current, catalogue, answer).items():
            data[f"sign-{name}"] = value
        return build(data)

    form = build(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sign_workup(
                workup=workup,
                user=request.user,
                version=data["version"],
                seen=data["seen"],
                seen_at=data["seen_at"],
                seen_revision=data["seen_revision"],
            )
        except StaleEdit as stale:
            form = fresh()
            form.is_valid()
            form.add_error(None, str(stale))
        except SignedWorkUp as signed:
            form.add_error(None, str(signed))
        else:
            message = gettext("Work-up signed. Findings are locked; later changes are addenda.")
            remember(request, workup, Note("sign-off", message))
            return _back(workup, "sign-off")
    return render_workup(request, load_workup(pk), bound={"sign": form})


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
