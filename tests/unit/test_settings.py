"""Settings: required values fail fast with their name; MONGO_URL overrides."""

import pytest
from pydantic import ValidationError

from shared.settings import SETTINGS_BY_SERVICE, GatewaySettings, NoticesSettings, RuntimeSettings

BASE = {"CASCADE_NODE_ID": "gd", "CASCADE_NATS_URL": "nats://127.0.0.1:4222", "CASCADE_MONGO_URL": "mongodb://a/"}


@pytest.fixture
def env(monkeypatch):
    """A clean environment: nothing from the developer's shell leaks in."""
    import os

    for key in list(os.environ):
        if key.startswith("CASCADE_") or key == "MONGO_URL":
            monkeypatch.delenv(key)

    def set_(**values: str) -> None:
        for k, v in values.items():
            monkeypatch.setenv(k, v)

    return set_


@pytest.mark.parametrize("service", sorted(SETTINGS_BY_SERVICE))
@pytest.mark.parametrize("missing", ["node_id", "nats_url", "mongo_url"])
def test_each_service_fails_fast_naming_what_is_missing(env, service, missing):
    env(**{k: v for k, v in BASE.items() if k != f"CASCADE_{missing.upper()}"}, CASCADE_SECRET_KEY="k" * 32)
    with pytest.raises(ValidationError) as exc:
        SETTINGS_BY_SERVICE[service]()
    locs = {str(e["loc"][0]).lower() for e in exc.value.errors()}
    assert missing in locs  # MONGO_URL is reported by its variable name, lower-cased here


def test_gateway_has_no_default_secret_and_refuses_a_short_one(env):
    env(**BASE)
    with pytest.raises(ValidationError, match="secret_key"):
        GatewaySettings()
    env(CASCADE_SECRET_KEY="too-short")
    with pytest.raises(ValidationError, match="secret_key"):
        GatewaySettings()
    env(CASCADE_SECRET_KEY="a-long-enough-secret")
    s = GatewaySettings()
    assert s.secret_key.get_secret_value() == "a-long-enough-secret"
    assert "a-long-enough-secret" not in repr(s)  # never logged


def test_backend_services_need_no_secret(env):
    env(**BASE)
    assert NoticesSettings().node_id == "gd"


def test_mongo_url_overrides_the_cascade_variable(env):
    env(**BASE)
    assert NoticesSettings().mongo_url == "mongodb://a/"
    env(MONGO_URL="mongodb://real-mongo:27017/")
    assert NoticesSettings().mongo_url == "mongodb://real-mongo:27017/"
    assert RuntimeSettings().mongo_url == "mongodb://real-mongo:27017/"


def test_mongo_url_alone_is_enough(env):
    env(CASCADE_NODE_ID="gd", CASCADE_NATS_URL="nats://x:4222", MONGO_URL="mongodb://m/")
    assert NoticesSettings().mongo_url == "mongodb://m/"


def test_runtime_runs_ferretdb_when_no_mongo_url(env):
    assert RuntimeSettings().mongo_url is None


@pytest.mark.parametrize("bad", ["GD", "g.d", "g d", "-gd", "", "gd>", "a" * 64])
def test_node_id_must_be_a_slug_because_it_goes_into_subjects(env, bad):
    env(**{**BASE, "CASCADE_NODE_ID": bad})
    with pytest.raises(ValidationError, match="node"):
        NoticesSettings()


def test_one_database_per_service_and_node(env):
    env(**BASE, CASCADE_SECRET_KEY="k" * 32)
    names = {cls().database for cls in SETTINGS_BY_SERVICE.values()}
    assert names == {"gd_notices", "gd_submissions", "gd_notifications", "gd_reports", "gd_gateway"}


def test_values_are_typed_from_the_environment(env):
    env(**BASE, CASCADE_MIN_FORWARD_SLACK_DAYS="5", CASCADE_ALLOWED_ATTACHMENT_TYPES='["application/pdf"]')
    s = NoticesSettings()
    assert s.min_forward_slack_days == 5 and s.allowed_attachment_types == ["application/pdf"]
    env(CASCADE_MIN_FORWARD_SLACK_DAYS="-1")
    with pytest.raises(ValidationError, match="min_forward_slack_days"):
        NoticesSettings()


def test_settings_are_frozen(env):
    env(**BASE)
    s = NoticesSettings()
    with pytest.raises(ValidationError):
        s.node_id = "sz"  # type: ignore[misc]
