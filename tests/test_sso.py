"""Single sign-on is offered exactly when secrets.toml configures [auth] (OIDC via st.login)."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.fixtures import overview_fixture as fx
from tests.fixtures.apptest_helpers import signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OIDC = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "dashboard", "client_secret": "s",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"}


def _login_page(monkeypatch, tmp_path, with_sso: bool) -> AppTest:
    fx.build(tmp_path / "sso.duckdb").close()
    monkeypatch.setenv("DJ_DB", str(tmp_path / "sso.duckdb"))
    signed_in(AppTest.from_file(APP), username="someone")  # an account exists: the sign-in form, not set-up
    at = AppTest.from_file(APP, default_timeout=60)
    if with_sso:
        at.secrets["auth"] = OIDC
    return at.run()


def test_sso_button_only_when_configured(monkeypatch, tmp_path):
    plain = _login_page(monkeypatch, tmp_path / "a", with_sso=False)
    assert not plain.exception
    assert "使用单点登录（SSO）" not in [b.label for b in plain.button]
    sso = _login_page(monkeypatch, tmp_path / "b", with_sso=True)
    assert not sso.exception
    assert "使用单点登录（SSO）" in [b.label for b in sso.button]
