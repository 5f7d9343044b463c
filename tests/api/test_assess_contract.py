"""The engine's contract over the command line and over HTTP: same answer both ways."""

import io
import json

import pytest
from django.core.management import call_command

from tests.evidence.test_facts import EXAMPLE
from workup.accounts.models import ApiToken

URL = "/api/assess"

BAD_INPUTS = [
    ("wrong type", {"age": "thirty-eight"}, "age"),
    ("out of range", {"age": 38, "afc": 150}, "afc"),
    ("unknown key", {"age": 38, "favourite_colour": "blue"}, "favourite_colour"),
    ("unknown add-on", {"age": 38, "addons_requested": ["unicorn_tears"]}, "addons_requested.0"),
    ("bad unit", {"age": 38, "amh": {"value": 2, "unit": "mmol"}}, "amh.unit"),
    ("missing age", {"failed_transfers": 3}, "age"),
    ("not an object", [1, 2, 3], "facts"),
]


def run_cli(payload: bytes, monkeypatch, tmp_path, use_stdin=False):
    """(exit status, stdout, stderr) of manage.py assess."""
    out, err = io.StringIO(), io.StringIO()
    if use_stdin:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(payload)))
        target = "-"
    else:
        path = tmp_path / "facts.json"
        path.write_bytes(payload)
        target = str(path)
    try:
        call_command("assess", target, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def post(client, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


# --- good input ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_line_prints_the_contract(loaded_catalogue, monkeypatch, tmp_path):
    status, out, err = run_cli(json.dumps(EXAMPLE).encode(), monkeypatch, tmp_path)
    assert status == 0, err
    answer = json.loads(out)
    assert answer["contract"] == 2
    assert answer["catalogue"]["version"] == loaded_catalogue.version == "2026.2"
    assert set(answer) >= {
        "rif",
        "classification",
        "checklist",
        "next_steps",
        "addon_flags",
        "warnings",
    }
    assert answer["next_steps"][0]["code"] == "ce_antibiotics"
    assert [f["code"] for f in answer["addon_flags"]] == ["intralipids", "ivig"]


@pytest.mark.django_db
def test_the_command_line_reads_standard_input(loaded_catalogue, monkeypatch, tmp_path):
    status, out, _ = run_cli(b'{"age": 36, "failed_transfers": 3}', monkeypatch, tmp_path, True)
    assert status == 0
    assert json.loads(out)["rif"]["label"] == "rif"


@pytest.mark.django_db
def test_the_api_and_the_command_line_give_the_same_answer(clinician_client, monkeypatch, tmp_path):
    for facts in (
        EXAMPLE,
        {"age": 41, "failed_transfers": 2},
        {
            "age": 30,
            "aps": "confirmed",
            "miscarriages": 3,
            "addons_requested": ["heparin", "intralipids"],
        },
    ):
        status, out, _ = run_cli(json.dumps(facts).encode(), monkeypatch, tmp_path)
        response = post(clinician_client, facts)
        assert status == 0 and response.status_code == 200
        assert response.json() == json.loads(out)


@pytest.mark.django_db
def test_an_api_token_works_without_a_session(client, clinician, loaded_catalogue):
    _, raw = ApiToken.issue(user=clinician, name="lab system")
    response = post(client, {"age": 36, "failed_transfers": 3}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["rif"]["cumulative_chance"] == 0.76


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name, body, path", BAD_INPUTS)
def test_bad_input_exits_2_with_the_field_named(
    loaded_catalogue, monkeypatch, tmp_path, name, body, path
):
    status, out, err = run_cli(json.dumps(body).encode(), monkeypatch, tmp_path)
    assert status == 2, name
    assert out == ""
    errors = json.loads(err)["errors"]
    assert path in errors
    assert "Traceback" not in err


@pytest.mark.django_db
@pytest.mark.parametrize("name, body, path", BAD_INPUTS)
def test_bad_input_answers_400_with_the_same_errors(
    clinician_client, monkeypatch, tmp_path, name, body, path
):
    response = post(clinician_client, body)
    assert response.status_code == 400, name
    _, _, err = run_cli(json.dumps(body).encode(), monkeypatch, tmp_path)
    assert response.json() == json.loads(err)
    assert path in response.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff"])
def test_malformed_json_is_refused_both_ways(clinician_client, monkeypatch, tmp_path, raw):
    status, _, err = run_cli(raw, monkeypatch, tmp_path)
    assert status == 2 and "json" in json.loads(err)["errors"]
    response = post(clinician_client, raw)
    assert response.status_code == 400 and "json" in response.json()["errors"]


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(loaded_catalogue):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("assess", "/nonexistent/facts.json", stderr=err)
    assert exit_.value.code == 2
    assert "file" in json.loads(err.getvalue())["errors"]


@pytest.mark.django_db
def test_an_oversized_body_is_refused_with_413(clinician_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(clinician_client, {"age": 38, "padding": "x" * 2000})
    assert response.status_code == 413


# --- who may call it ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_gets_401_not_a_redirect(client, loaded_catalogue):
    response = post(client, {"age": 38})
    assert response.status_code == 401
    assert "auth" in response.json()["errors"]


@pytest.mark.django_db
def test_a_revoked_or_wrong_token_gets_401(client, clinician, loaded_catalogue):
    token, raw = ApiToken.issue(user=clinician, name="old")
    token.revoke()
    assert post(client, {"age": 38}, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert post(client, {"age": 38}, HTTP_AUTHORIZATION="Bearer rif_wrong").status_code == 401


@pytest.mark.django_db
def test_a_session_post_needs_its_csrf_token(clinician, loaded_catalogue):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)
    assert post(client, {"age": 38}).status_code == 403
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert post(client, {"age": 38}, HTTP_X_CSRFTOKEN=token).status_code == 200


@pytest.mark.django_db
def test_a_user_without_a_role_gets_403(stranger_client):
    assert post(stranger_client, {"age": 38}).status_code == 403


@pytest.mark.django_db
def test_get_is_not_allowed(clinician_client):
    response = clinician_client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
