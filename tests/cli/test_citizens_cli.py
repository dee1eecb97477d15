"""`motcua citizens token`: a development token for the applicants' API (R-8.1)."""
from datetime import datetime, timezone

from api.citizen_tokens import CitizenTokenService
from api.config import ApiSettings
from cli.main import main

KEY = "cli-test-secret-" + "k" * 40


def test_the_minted_token_carries_the_id_number_and_name(monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_SECRET_KEY", KEY)
    assert main(["citizens", "token", "001085012345", "Nguyễn Văn An"]) == 0
    token = capsys.readouterr().out.strip()
    principal = CitizenTokenService(ApiSettings(secret_key=KEY)).verify(token, datetime.now(timezone.utc))
    assert (principal.applicant.id_number, principal.applicant.name, principal.source) == \
        ("001085012345", "Nguyễn Văn An", "local")


def test_an_id_number_that_is_not_12_digits_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_SECRET_KEY", KEY)
    assert main(["citizens", "token", "12345", "Nguyễn Văn An"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "12 digits" in err
