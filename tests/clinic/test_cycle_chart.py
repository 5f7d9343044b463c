"""The cycles chart's geometry: bands at the catalogue's thresholds, one point per cycle."""

from workup.clinic.stimulation import cycle_changes, cycle_chart, cycle_words, plan_words


def entry(number, oocytes, dose=None, response="normal"):
    return {"number": number, "oocytes": oocytes, "daily_dose_iu": dose, "response": response}


def test_no_cycles_no_chart():
    assert cycle_chart([], poor_max=3, hyper_min=15) is None


def test_the_bands_follow_the_thresholds_given():
    chart = cycle_chart([entry(1, 8, 225)], poor_max=4, hyper_min=20)
    hyper, poor = chart.bands
    assert (hyper.label, hyper.detail) == ("Hyper-response", "20 or more")
    assert (poor.label, poor.detail) == ("Poor response", "4 or fewer")
    assert chart.y_ticks[-1].value == 25  # room above the hyper-response threshold


def test_each_point_says_its_response_by_shape_and_cycles_at_one_place_share_it():
    chart = cycle_chart(
        [entry(1, 17, 150, "hyper"), entry(2, 2, 300, "poor"), entry(3, 17, 150, "hyper")],
        poor_max=3,
        hyper_min=15,
    )
    assert [(p.label, p.marker) for p in chart.points] == [
        ("1, 3", "triangle-up"),
        ("2", "triangle-down"),
    ]
    assert chart.points[0].polygon and not chart.points[0].polygon.startswith("0")
    assert "cycle 1, 3: 17 oocytes at 150 IU a day (hyper-response)" in chart.summary


def test_a_cycle_without_a_dose_is_listed_not_plotted():
    chart = cycle_chart([entry(1, 5), entry(2, 6, 450)], poor_max=3, hyper_min=15)
    assert [p.number for p in chart.points] == [2]
    assert chart.unplotted == [1]
    assert chart.x_ticks[-1].value >= 450 + 1
    assert chart.summary.endswith("Not plotted (dose not recorded): cycle 1.")


def test_cycles_and_plans_in_words():
    cycle = {
        "oocytes": 9,
        "mature_oocytes": 7,
        "daily_dose_iu": 225,
        "protocol": "ppos",
        "trigger": "dual",
        "ohss": True,
        "freeze_all": True,
        "date": "2025-03-12",
    }
    assert cycle_words(cycle) == (
        "9 oocytes (7 mature), 225 IU a day, PPOS, dual trigger, OHSS (grade not recorded), "
        "freeze-all, retrieved 12 Mar 2025"
    )
    assert cycle_changes([{"oocytes": 3}], [{"oocytes": 3}, {"oocytes": 1}]) == [
        "Previous cycle 2 added: 1 oocyte"
    ]
    plan = {"protocol": "antagonist", "daily_dose_iu": 100, "freeze_all": False}
    assert plan_words(plan) == "antagonist, 100 IU a day, no freeze-all"
    assert plan_words(None) == "nothing decided yet"
