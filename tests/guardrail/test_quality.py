"""The lead's dashboard: figures checked against counts made directly from the database, on
demo data with known proportions; the query count does not grow with the work-ups."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_workup, sign_as_seen
from workup.clinic.models import AddonRequest, ChecklistStep, WorkUp
from workup.guardrail import quality, summary
from workup.guardrail.models import CdsCard, CdsFeedback, QualityCount, WorkupSummary

URL = "/quality/"
ADDONS = ("intralipids", "ivig", "corticosteroids")


def build(n, clinicians, *, capture):
    """``n`` work-ups with known proportions:

    - even-numbered ones have 3 failed transfers at 36 (the engine labels RIF), odd ones 1;
    - each asks for one add-on, in turn intralipid, IVIG, corticosteroids;
    - every third request is "proceeding against advice" for the informed-choice reason, every
      fifth declined; the rest stay not counselled;
    - every fourth work-up is signed, opened 10 days ago; the others were opened today;
    - each work-up's clinician alternates; each EMR card override is by the first clinician.
    """
    today = timezone.localdate()
    lead_user = clinicians[0]
    with capture(execute=True):
        for i in range(n):
            clinician = clinicians[i % len(clinicians)]
            facts = {
                "age": 36,
                "failed_transfers": 3 if i % 2 == 0 else 1,
                "addons_requested": [ADDONS[i % 3]],
            }
            opened = today - timedelta(days=10) if i % 4 == 0 else today
            workup = make_workup(clinician=clinician, facts=facts, workup_date=opened)
            row = AddonRequest.objects.get(workup=workup)
            if i % 3 == 0:
                row.outcome = "proceeding_against_advice"
                row.override_reason = "informed_choice"
            elif i % 5 == 0:
                row.outcome = "discussed_declined"
            if i % 3 == 0 or i % 5 == 0:
                row.counselled_by, row.counselled_at = clinician, timezone.now()
                row.save()
            if i % 4 == 0:
                sign_as_seen(workup, clinician)
    for i in range(n // 4):
        card = CdsCard.objects.create(
            service="rif-addon-order-sign",
            hook="order-sign",
            hook_instance=f"h{i}",
            indicator="warning",
            summary="x",
            addon_code="intralipids",
            emr_user=f"Practitioner/{lead_user.username}",
            emr_patient="p",
            clinician=lead_user,
            requested_by=lead_user,
        )
        CdsFeedback.objects.create(
            card=card,
            outcome="overridden",
            override_reason="registered_trial" if i % 2 else "",
            other_reason_code="" if i % 2 else "emr-code",
            outcome_at=timezone.now(),
            received_by=lead_user,
        )


def table(page, key):
    """The rows of a figure's table, from the page."""
    start = page.index(f'id="table-{key}"')
    body = page[start : page.index("</table>", start)]

    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>") :], re.S):
        rows.append(
            [
                html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
            ]
        )
    return rows


@pytest.fixture
def demo(db, clinician, other_clinician, loaded_catalogue, django_capture_on_commit_callbacks):
    build(24, [clinician, other_clinician], capture=django_capture_on_commit_callbacks)


def test_figures_agree_with_counts_made_from_the_database(lead_client, demo, loaded_catalogue):
    page = lead_client.get(URL).content.decode()
    # Add-on requests by add-on: 8 of each.
    direct = dict(AddonRequest.objects.values_list("addon_code").annotate(n=Count("pk")))
    assert direct == {"intralipids": 8, "ivig": 8, "corticosteroids": 8}
    shown = {r[0]: int(r[1]) for r in table(page, "addons")}
    assert shown == {loaded_catalogue.addons[c].name: n for c, n in direct.items()}
    # Outcomes: a third against advice (8); declined where i % 5 == 0 and not i % 3 == 0.
    outcomes = {r[0]: int(r[1]) for r in table(page, "outcomes")}
    assert outcomes["Proceeding against advice"] == 8
    declined = AddonRequest.objects.filter(outcome="discussed_declined").count()
    assert outcomes["Discussed; patient declined"] == declined == 3
    assert sum(outcomes.values()) == 24
    # Overrides by clinician: desk 4 each (alternating), EMR 6 for alice.
    people = {r[0]: [int(x) for x in r[1:]] for r in table(page, "overrides-clinician")}
    assert people == {"Alice Test": [10, 4, 6], "Bianca Test": [4, 4, 0]}
    reasons = {r[0]: [int(x) for x in r[1:]] for r in table(page, "overrides-reason")}
    assert reasons["Patient's informed choice after counselling"] == [8, 8, 0]
    assert reasons["Part of a registered trial"] == [3, 0, 3]
    assert reasons["The EMR's own reason code"] == [3, 0, 3]
    # Sign-off: 6 signed, each 10 days after opening.
    signed = WorkUp.objects.filter(status="signed").count()
    sign_off = {r[0]: int(r[1]) for r in table(page, "sign-off")}
    assert sign_off["8–30 days"] == signed == 6 and sum(sign_off.values()) == 6
    assert "Mean 10.0 days." in page
    # RIF by transfers: half at 3 transfers, all labelled RIF; none at 1.
    rif = {r[0]: r[1:] for r in table(page, "rif")}
    assert rif == {"1": ["0", "12", "0%"], "3": ["12", "12", "100%"]}
    assert "Overall 12 of 24 work-ups labelled RIF (50%)." in page
    # Overdue steps by step, against the queue's own definition of overdue.
    overdue = dict(ChecklistStep.objects.overdue().values_list("code").annotate(n=Count("pk")))
    shown = {r[0]: int(r[1]) for r in table(page, "overdue") if len(r) > 1}
    assert sum(shown.values()) == sum(overdue.values())


def test_overdue_steps_are_counted_by_step(lead_client, demo, loaded_catalogue):
    past = timezone.localdate() - timedelta(days=3)
    ChecklistStep.objects.filter(code="thyroid").update(due_date=past)
    n = ChecklistStep.objects.filter(code="thyroid", in_queue=True).count()
    page = lead_client.get(URL).content.decode()
    shown = {r[0]: int(r[1]) for r in table(page, "overdue")}
    assert shown[loaded_catalogue.investigations["thyroid"].name] == n > 0


def test_overdue_steps_equal_a_direct_count_for_every_clinician(
    lead_client, demo, loaded_catalogue, clinician, other_clinician
):
    """The figure sums the step counts the database keeps (coordination.StepCount): the same
    numbers as counting the overdue open steps, for everyone and for each clinician."""
    today = timezone.localdate()
    ChecklistStep.objects.filter(code__in=["thyroid", "karyotype"]).update(
        due_date=today - timedelta(days=2)
    )
    ChecklistStep.objects.filter(code="pgta").update(due_date=today)  # due today: not overdue
    for who in (None, clinician, other_clinician):
        steps = ChecklistStep.objects.filter(in_queue=True, due_date__lt=today)
        if who is not None:
            steps = steps.filter(workup__clinician=who)
        expected = {}
        for code in steps.values_list("code", flat=True):
            name = loaded_catalogue.investigations[code].name
            expected[name] = expected.get(name, 0) + 1
        page = lead_client.get(URL, {"clinician": who.pk} if who else {}).content.decode()
        assert {r[0]: int(r[1]) for r in table(page, "overdue")} == expected, who


def test_filter_by_clinician_and_period(lead_client, demo, other_clinician):
    page = lead_client.get(URL, {"clinician": other_clinician.pk}).content.decode()
    people = {r[0] for r in table(page, "overrides-clinician")}
    assert people == {"Bianca Test"}
    rif = {r[0]: r[1:] for r in table(page, "rif")}
    assert sum(int(v[1]) for v in rif.values()) == 12
    # A period that ended before the work-ups were opened: nothing.
    long_ago = timezone.localdate() - timedelta(days=400)
    page = lead_client.get(
        URL, {"start": (long_ago - timedelta(days=30)).isoformat(), "end": long_ago.isoformat()}
    ).content.decode()
    assert table(page, "rif") == [["Nothing in the period."]]


def test_a_bad_period_is_named_and_the_default_shown(lead_client, demo):
    today = timezone.localdate()
    response = lead_client.get(
        URL, {"start": today.isoformat(), "end": (today - timedelta(days=5)).isoformat()}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "To: The end of the period is before its start." in page
    assert "Showing the default period instead." in page


def test_charts_are_accessible_svg_with_their_table_and_csv(lead_client, demo):
    page = lead_client.get(URL).content.decode()
    assert page.count('<svg class="quality-chart"') == 8
    assert page.count('role="img"') >= 8 and "<desc id=" in page
    assert "style=" not in page.split("<main", 1)[1]  # CSP: no inline styles
    response = lead_client.get(reverse("guardrail:quality_csv", args=["addons"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Add-on", "Requests"]
    assert sorted(int(r[1]) for r in rows[1:]) == [8, 8, 8]
    assert lead_client.get("/quality/nonesuch.csv").status_code == 404


def test_query_count_does_not_grow_with_the_work_ups(
    lead_client,
    clinician,
    other_clinician,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    build(4, [clinician, other_clinician], capture=django_capture_on_commit_callbacks)
    lead_client.get(URL)  # the first request after signing in also writes the session
    one = f"{URL}?clinician={clinician.pk}"
    with django_assert_max_num_queries(12) as small:
        lead_client.get(URL)
    with django_assert_max_num_queries(12) as small_one:
        lead_client.get(one)
    build(16, [clinician, other_clinician], capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(12) as large:
        assert lead_client.get(URL).status_code == 200
    with django_assert_max_num_queries(12) as large_one:
        response = lead_client.get(one)
    assert response.status_code == 200 and response.context["filters"].clinician == clinician
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large_one.captured_queries) == len(small_one.captured_queries)


def test_the_summary_follows_the_writes(
    clinician, django_capture_on_commit_callbacks, loaded_catalogue
):
    with django_capture_on_commit_callbacks(execute=True):
        workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 1})
    assert WorkupSummary.objects.get(workup=workup).rif_label == "not_yet"
    with django_capture_on_commit_callbacks(execute=True):
        findings = workup.findings
        findings.failed_transfers = 3
        findings.save()
    row = WorkupSummary.objects.get(workup=workup)
    assert (row.rif_label, row.failed_transfers) == ("rif", 3)
    with django_capture_on_commit_callbacks(execute=True):
        sign_as_seen(workup, clinician)
    row.refresh_from_db()
    assert row.signed_on == timezone.localdate() and row.days_to_sign == 0
    # The rebuild command gives the same rows.
    WorkupSummary.objects.all().delete()
    assert summary.refresh([workup.pk]) == 1
    assert WorkupSummary.objects.get(workup=workup).rif_label == "rif"


def test_access_three_ways(client, clinician, coordinator, lead, loaded_catalogue):
    assert client.get(URL).status_code == 302
    assert "/accounts/login/" in client.get("/quality/addons.csv")["Location"]
    for user, status in ((clinician, 403), (coordinator, 403), (lead, 200)):
        visitor = Client()
        visitor.force_login(user)
        assert visitor.get(URL).status_code == status
        assert visitor.get("/quality/addons.csv").status_code == status
        assert visitor.post(URL).status_code in (403, 405)


def _counts():
    return set(
        QualityCount.objects.values_list(
            "kind", "grain", "day", "clinician", "key_a", "key_b", "n", "total"
        )
    )


def _direct_rif(start, end):
    """The RIF figure's rows, counted straight from the work-ups and their findings."""
    rows = {}
    for workup in WorkUp.objects.filter(date__gte=start, date__lte=end).select_related("findings"):
        transfers = str(workup.findings.failed_transfers)
        label = WorkupSummary.objects.get(workup=workup).rif_label
        entry = rows.setdefault(transfers, [0, 0])
        entry[0] += label == "rif"
        entry[1] += 1
    return {k: [str(a), str(n), f"{round(100 * a / n)}%"] for k, (a, n) in rows.items()}


def test_the_counts_stay_exact_after_an_update_a_sign_off_and_a_bulk_refresh(
    clinician, other_clinician, django_capture_on_commit_callbacks, loaded_catalogue
):
    today = timezone.localdate()
    # A period of whole months and two partial ones at its edges.
    filters = quality.Filters(start=today - timedelta(days=100), end=today)
    with django_capture_on_commit_callbacks(execute=True):
        moved = make_workup(
            clinician=clinician,
            facts={"age": 36, "failed_transfers": 1},
            workup_date=today - timedelta(days=45),
        )
        signed = make_workup(
            clinician=clinician, facts={"age": 36, "failed_transfers": 3}, workup_date=today
        )
        make_workup(
            clinician=other_clinician,
            facts={"age": 36, "failed_transfers": 3},
            workup_date=today - timedelta(days=99),
        )

    def shown():
        return {r[0]: [str(x) for x in r[1:]] for r in quality.rif_by_transfers(filters).rows}

    assert (
        shown()
        == _direct_rif(filters.start, filters.end)
        == {
            "1": ["0", "1", "0%"],
            "3": ["2", "2", "100%"],
        }
    )
    # An update: more failed transfers, and the work-up's date moved to another month.
    with django_capture_on_commit_callbacks(execute=True):
        findings = moved.findings
        findings.failed_transfers = 3
        findings.save()
        WorkUp.objects.get(pk=moved.pk).save()  # nothing changed: the buckets stay as they are
        moved.refresh_from_db()
        moved.date = today - timedelta(days=2)
        moved.save()
    assert shown() == _direct_rif(filters.start, filters.end) == {"3": ["3", "3", "100%"]}
    before_month = quality.Filters(
        start=today - timedelta(days=100), end=today - timedelta(days=30)
    )
    assert {r[0]: r[2] for r in quality.rif_by_transfers(before_month).rows} == {"3": 1}
    # A sign-off: the sign-off figure counts it, whoever's filter.
    with django_capture_on_commit_callbacks(execute=True):
        sign_as_seen(signed, clinician)
    figure = quality.sign_off_time(quality.Filters(today, today, clinician))
    assert {r[0]: r[1] for r in figure.rows}["0–7 days"] == 1 == sum(r[1] for r in figure.rows)
    assert figure.note == "Mean 0.0 days."
    assert (
        sum(
            r[1] for r in quality.sign_off_time(quality.Filters(today, today, other_clinician)).rows
        )
        == 0
    )
    # A bulk refresh gives exactly the rows the writes kept.
    kept = _counts()
    QualityCount.objects.all().delete()
    WorkupSummary.objects.all().delete()
    call_command("refresh_quality_summary", stdout=io.StringIO())
    assert _counts() == kept and kept
    assert shown() == _direct_rif(filters.start, filters.end)


def test_a_deleted_work_up_leaves_the_counts(clinician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workup = make_workup(clinician=clinician, facts={"age": 36, "failed_transfers": 3})
    assert QualityCount.objects.filter(kind="rif").count() == 2  # its day and its month
    with django_capture_on_commit_callbacks(execute=True):
        WorkupSummary.objects.filter(workup=workup).delete()
    assert not QualityCount.objects.exists()


def _direct_addons(start, end, clinician=None):
    """The add-on figures counted straight from the requests: by (add-on, outcome), by month,
    and the desk's overrides by (who counselled, reason)."""
    zone = timezone.get_current_timezone()
    low = timezone.datetime.combine(start, timezone.datetime.min.time(), tzinfo=zone)
    high = timezone.datetime.combine(
        end + timedelta(days=1), timezone.datetime.min.time(), tzinfo=zone
    )
    rows = AddonRequest.objects.filter(recorded_at__gte=low, recorded_at__lt=high)
    overrides = AddonRequest.objects.filter(
        outcome="proceeding_against_advice", counselled_at__gte=low, counselled_at__lt=high
    )
    if clinician is not None:
        rows = rows.filter(workup__clinician=clinician)
        overrides = overrides.filter(counselled_by=clinician)
    keys = {
        (a, o): n for a, o, n in rows.values_list("addon_code", "outcome").annotate(n=Count("pk"))
    }
    months: dict = {}
    for moment in rows.values_list("recorded_at", flat=True):
        month = timezone.localdate(moment).strftime("%Y-%m")
        months[month] = months.get(month, 0) + 1
    desk = {
        (who, reason): n
        for who, reason, n in overrides.values_list(
            "counselled_by__username", "override_reason"
        ).annotate(n=Count("pk"))
    }
    return keys, months, desk


def _shown_addons(filters):
    groups = quality.RequestGroups(filters)
    keys = {(r["addon_code"], r["outcome"]): r["n"] for r in groups.rows if r["n"]}
    months = {m: n for m, n in quality.by_month(filters).rows if n}
    desk = {
        (r["counselled_by__username"], r["override_reason"]): r["n"]
        for r in quality._overrides(filters)[0]
    }
    return keys, months, desk


def test_the_add_on_figures_stay_exact_through_counselling_withdrawal_and_a_new_clinician(
    clinician, other_clinician, django_capture_on_commit_callbacks, loaded_catalogue
):
    from workup.clinic import services

    today = timezone.localdate()
    period = quality.Filters(start=today - timedelta(days=100), end=today)
    with django_capture_on_commit_callbacks(execute=True):
        first = make_workup(
            clinician=clinician,
            facts={"age": 36, "failed_transfers": 3, "addons_requested": ["intralipids", "ivig"]},
        )
        second = make_workup(
            clinician=other_clinician,
            facts={"age": 36, "failed_transfers": 3, "addons_requested": ["intralipids"]},
        )
        # A request recorded two months ago (bulk-dated, then saved: the buckets follow).
        old = AddonRequest.objects.get(workup=second)
        old.recorded_at = timezone.now() - timedelta(days=60)
        old.save()

    def check(expected_keys):
        for who in (None, clinician, other_clinician):
            filters = quality.Filters(period.start, period.end, who)
            assert _shown_addons(filters) == _direct_addons(period.start, period.end, who)
        assert _shown_addons(period)[0] == expected_keys

    check({("intralipids", "not_counselled"): 2, ("ivig", "not_counselled"): 1})
    assert len(_shown_addons(period)[1]) == 2 or (today - timedelta(days=60)).month == today.month

    # Counselled against advice by the other clinician: an override under their name, today.
    request = AddonRequest.objects.get(workup=first, addon_code="ivig")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_counselling(
            request=request,
            outcome="proceeding_against_advice",
            reason="",
            override_reason="informed_choice",
            version=request.version,
            user=other_clinician,
        )
    check({("intralipids", "not_counselled"): 2, ("ivig", "proceeding_against_advice"): 1})
    assert _shown_addons(quality.Filters(today, today, other_clinician))[2] == {
        (other_clinician.username, "informed_choice"): 1
    }
    # Counselled again, declined: the override leaves its bucket.
    request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_counselling(
            request=request,
            outcome="discussed_declined",
            reason="",
            version=request.version,
            user=clinician,
        )
    check({("intralipids", "not_counselled"): 2, ("ivig", "discussed_declined"): 1})
    assert _shown_addons(period)[2] == {}
    # The first work-up handed to the other clinician: its requests move with it.
    with django_capture_on_commit_callbacks(execute=True):
        moved = WorkUp.objects.get(pk=first.pk)
        moved.clinician = other_clinician
        moved.save()
    check({("intralipids", "not_counselled"): 2, ("ivig", "discussed_declined"): 1})
    assert _shown_addons(quality.Filters(period.start, period.end, clinician))[0] == {}
    # A withdrawal, then a deleted work-up: their requests leave the figures (the IVIG request
    # stays: the sheet the patient read when going against advice is kept with it).
    withdrawn = AddonRequest.objects.get(workup=first, addon_code="intralipids")
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_addon_request(
            request=withdrawn, version=withdrawn.version, user=other_clinician
        )
    check({("intralipids", "not_counselled"): 1, ("ivig", "discussed_declined"): 1})
    with django_capture_on_commit_callbacks(execute=True):
        WorkUp.objects.get(pk=second.pk).delete()
    check({("ivig", "discussed_declined"): 1})
    # What the writes kept is what a rebuild from the requests gives.
    kept = _counts()
    call_command("refresh_quality_summary", stdout=io.StringIO())
    assert _counts() == kept and any(row[0] == "addon" for row in kept)


def test_a_bulk_update_the_hooks_cannot_see_is_mended_by_the_refresh_command(
    clinician, django_capture_on_commit_callbacks, loaded_catalogue
):
    today = timezone.localdate()
    period = quality.Filters(start=today, end=today)
    with django_capture_on_commit_callbacks(execute=True):
        make_workup(clinician=clinician, facts={"age": 36, "addons_requested": ["corticosteroids"]})
    # A bulk update sends no signal: the figure lags behind the table ...
    AddonRequest.objects.update(outcome="referred_trial")
    assert _shown_addons(period)[0] == {("corticosteroids", "not_counselled"): 1}
    # ... until the nightly command rebuilds the buckets.
    call_command("refresh_quality_summary", stdout=io.StringIO())
    assert _shown_addons(period) == _direct_addons(today, today)
    assert _shown_addons(period)[0] == {("corticosteroids", "referred_trial"): 1}
