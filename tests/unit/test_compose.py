"""docker-compose.yml and deploy/Dockerfile, checked without a Docker engine.

The file is parsed as compose would read it (YAML with merge keys, then
``${VAR}`` interpolation) and held against what the node runtime starts and
what the services' settings classes read.
"""

import re
from pathlib import Path

import pytest
import yaml

from cascade import healthcheck
from cascade.cli import build_parser
from cascade.node import NodeConfig, ParentLink, Ports
from cascade.provision import STREAMS_SERVICE, compose_file, leafnode_publish
from cascade.runtime import BACKEND_SERVICES
from services.notifications.sending import Senders
from shared.settings import SETTINGS_BY_SERVICE, StreamsSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CASCADE_SERVICES = (*BACKEND_SERVICES, "gateway")
ONE_SHOTS = (STREAMS_SERVICE,)  # run to completion before the Cascade services start

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
REQUIRED = {"CASCADE_NODE_ID", "CASCADE_SECRET_KEY", "MONGO_ROOT_PASSWORD"}


def strings(node) -> list[str]:
    """Every string in the parsed file (keys and values; comments are gone)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def interpolate(node, env: dict[str, str]):
    """Compose's variable substitution, applied like compose does: after parsing, to values."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def sub(m: re.Match) -> str:
        name, op, arg = m["name"], m["op"], m["arg"]
        value = env.get(name)
        if op and op.endswith("?") and not value:
            raise KeyError(f"{name}: {arg}")
        if op and op.endswith("-") and not value:
            return arg
        return value or ""

    return VAR.sub(sub, node)


def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def sample_env() -> dict[str, str]:
    return {
        "CASCADE_NODE_ID": "gd",
        "CASCADE_SECRET_KEY": "s" * 48,
        "MONGO_ROOT_PASSWORD": "0123456789abcdef",
    }


@pytest.fixture(scope="module")
def compose() -> dict:
    return interpolate(raw(), sample_env())


def test_every_process_the_runtime_starts_is_a_compose_service(compose):
    services = compose["services"]
    for name in CASCADE_SERVICES:
        assert name in services, f"{name} missing from docker-compose.yml"
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
    assert set(services) == {*CASCADE_SERVICES, *ONE_SHOTS, "nats", "mongo"}


def test_one_image_built_from_the_dockerfile_for_every_cascade_service(compose):
    services = compose["services"]
    images = {services[n]["image"] for n in CASCADE_SERVICES}
    assert len(images) == 1
    for name in CASCADE_SERVICES:
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_infrastructure_uses_the_official_images_with_volumes(compose):
    services, volumes = compose["services"], compose["volumes"]
    nats_image, mongo_image = services["nats"]["image"], services["mongo"]["image"]
    # Official images have no namespace: "nats:…", not "someone/nats:…".
    assert nats_image.split(":")[0] == "nats"
    assert mongo_image.split(":")[0] == "mongo"
    for name, target in (("nats", "/data"), ("mongo", "/data/db")):
        mounts = dict(v.split(":")[:2][::-1] for v in services[name]["volumes"])
        assert target in mounts, f"{name} keeps no data at {target}"
        assert mounts[target] in volumes, f"{name}'s {target} is not a named volume"


def test_nats_runs_jetstream_with_the_node_id_as_domain_from_the_mounted_config(compose):
    nats = compose["services"]["nats"]
    config_arg = nats["command"][nats["command"].index("--config") + 1]
    mounts = {target: source for source, target, *_ in (v.split(":") for v in nats["volumes"])}
    source = ROOT / mounts[config_arg]
    assert source.parent == ROOT / "deploy" and source.exists()
    conf = source.read_text(encoding="utf-8")
    assert re.search(r"^jetstream\s*\{", conf, re.M)
    assert re.search(r"^\s*domain:\s*\$CASCADE_NODE_ID\s*$", conf, re.M)
    store_dir = re.search(r'store_dir:\s*"([^"]+)"', conf)[1]
    assert store_dir in mounts, "JetStream's store_dir must be on the volume"
    assert nats["environment"]["CASCADE_NODE_ID"] == "gd"
    # The healthcheck asks the monitoring port the config opens.
    monitor_port = re.search(r'^http:\s*"[^:]*:(\d+)"', conf, re.M)[1]
    assert f"http://127.0.0.1:{monitor_port}/healthz" in nats["healthcheck"]["test"]


def test_every_service_has_a_healthcheck(compose):
    services = compose["services"]
    for name, svc in services.items():
        if name in ONE_SHOTS:
            continue  # a container that exits when done: compose waits for its exit code instead
        test = svc.get("healthcheck", {}).get("test")
        assert test and test[0] == "CMD", f"{name} has no healthcheck"
    for name in CASCADE_SERVICES:
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "cascade.healthcheck", name]
    assert "ping" in " ".join(services["mongo"]["healthcheck"]["test"])


def test_cascade_services_wait_for_healthy_nats_and_mongo_and_the_configured_streams(compose):
    for name in CASCADE_SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends == {
            "nats": {"condition": "service_healthy"},
            "mongo": {"condition": "service_healthy"},
            STREAMS_SERVICE: {"condition": "service_completed_successfully"},
        }


def test_the_streams_are_configured_once_nats_is_healthy_by_the_command_cascade_up_uses(compose):
    """Without it a compose node has no OUTBOX and no EVENTS sources: it could not relay to linked nodes."""
    svc = compose["services"][STREAMS_SERVICE]
    assert svc["command"] == ["cascade", "configure-streams"]
    assert build_parser().parse_args(svc["command"][1:]).func.__name__ == "cmd_configure_streams"
    assert svc["image"] == compose["services"]["gateway"]["image"]
    assert svc["restart"] == "no"  # a one-shot: restarted, it would never complete
    assert svc["depends_on"] == {"nats": {"condition": "service_healthy"}}
    assert "healthcheck" not in svc and svc["volumes"] == []
    env = {k: str(v) for k, v in svc["environment"].items()}
    assert all(k.startswith("CASCADE_") and k[8:].lower() in StreamsSettings.model_fields for k in env), env
    settings = StreamsSettings(**{k[8:].lower(): v for k, v in env.items()})
    assert settings.node_id == "gd" and settings.nats_url == "nats://nats:4222" and settings.linked_nodes == []
    # The console script the command names is the project's.
    assert 'cascade = "cascade.cli:main"' in (ROOT / "pyproject.toml").read_text()


def _bundle_node(children: bool) -> NodeConfig:
    cfg = NodeConfig(
        node_id="gd",
        name="广东省科协",
        ports=Ports(leafnodes=17422),
        parent=ParentLink(node_id="cn", url="nats-leaf://cast.example.cn:7422", user="gd", password="p" * 32),
    )
    if children:
        cfg = NodeConfig.model_validate(
            {
                **cfg.model_dump(exclude={"base_dir"}),
                "children": [{"node_id": "sz", "user": "sz", "password_hash": "$2b$11$" + "x" * 53}],
            }
        )
    return cfg


@pytest.mark.parametrize("children", [False, True])
def test_a_bundle_compose_file_configures_the_links_and_publishes_the_leafnode_port_of_a_parent(children):
    env = {**sample_env(), "CASCADE_LINKED_NODES": '["cn", "sz"]' if children else '["cn"]'}
    bundle = interpolate(yaml.safe_load(compose_file(_bundle_node(children))), env)
    services = bundle["services"]
    for name in (*CASCADE_SERVICES, STREAMS_SERVICE):
        assert services[name]["environment"]["CASCADE_LINKED_NODES"] == env["CASCADE_LINKED_NODES"]
        assert "build" not in services[name]
    assert services[STREAMS_SERVICE]["command"] == ["cascade", "configure-streams"]
    if children:
        # Published on every interface at the node config's leafnode port, into the container's 7422.
        assert leafnode_publish(_bundle_node(True)) == "${CASCADE_LEAFNODE_PUBLISH:-17422}:7422"
        assert services["nats"]["ports"] == ["17422:7422"]
    else:
        assert "ports" not in services["nats"]


def test_required_variables_use_colon_question_mark_with_a_message():
    text = "\n".join(strings(raw()))
    required = set()
    for m in VAR.finditer(text):
        op = m["op"]
        assert op in (":?", ":-"), f"${{{m['name']}}} needs a default (:-) or must be required with :? and a message"
        if op == ":?":
            assert m["arg"].strip(), f"${{{m['name']}:?}} needs a message saying what to set"
            required.add(m["name"])
    assert required >= REQUIRED
    # No stray $NAME (compose would substitute it silently, or empty).
    assert not re.search(r"\$(?![{$])", VAR.sub("", text))


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in sample_env().items() if k != missing}
    with pytest.raises(KeyError, match=missing):
        interpolate(raw(), env)


def test_each_service_environment_is_exactly_what_its_settings_read(compose):
    for name in CASCADE_SERVICES:
        cls = SETTINGS_BY_SERVICE[name]
        env = {k: str(v) for k, v in compose["services"][name]["environment"].items()}
        for key in env:
            known = key == "MONGO_URL" or (key.startswith("CASCADE_") and key[8:].lower() in cls.model_fields)
            assert known, f"{name}: {key} is not read by {cls.__name__}"
        settings = cls(
            **{k[8:].lower(): v for k, v in env.items() if k.startswith("CASCADE_")}, mongo_url=env["MONGO_URL"]
        )
        assert settings.node_id == "gd"
        assert settings.mongo_url.startswith("mongodb://cascade:0123456789abcdef@mongo:27017/")
        assert settings.nats_url == "nats://nats:4222"
    gateway = SETTINGS_BY_SERVICE["gateway"](
        **{
            k[8:].lower(): v
            for k, v in compose["services"]["gateway"]["environment"].items()
            if k.startswith("CASCADE_")
        },
        mongo_url="mongodb://x/",
    )
    assert gateway.host == "0.0.0.0" and gateway.port == 8080
    published = compose["services"]["gateway"]["ports"][0]
    assert published.endswith(f":{gateway.port}")


def test_dockerfile_builds_a_non_root_python_313_image_from_files_that_exist():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.13-slim\b", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = re.findall(r"^COPY\s+(.+?)\s+\S+\s*$", text, re.M)
    assert copies
    for sources in copies:
        for src in sources.split():
            assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"
            assert src not in ignored, f"{src} is excluded by .dockerignore"
    # The pinned dependencies come from pyproject.toml, not a second list.
    assert "pyproject.toml" in text and "requirements" not in text


def test_healthcheck_entry_refuses_an_unknown_service(capsys):
    assert healthcheck.main(["bogus"]) == 1
    assert "usage" in capsys.readouterr().err


def test_sending_servers_are_optional_and_unset_means_not_configured(compose):
    env = {k: str(v) for k, v in compose["services"]["notifications"]["environment"].items()}
    settings = SETTINGS_BY_SERVICE["notifications"](
        **{k[8:].lower(): v for k, v in env.items() if k.startswith("CASCADE_")}, mongo_url=env["MONGO_URL"]
    )
    senders = Senders(settings)
    assert senders.missing("email") and senders.missing("sms")
    configured = interpolate(
        raw(),
        {
            **sample_env(),
            "CASCADE_SMTP_HOST": "smtp.gdkx.example.cn",
            "CASCADE_SMS_GATEWAY_URL": "https://sms.gdkx.example.cn/send",
        },
    )
    env = {k: str(v) for k, v in configured["services"]["notifications"]["environment"].items()}
    settings = SETTINGS_BY_SERVICE["notifications"](
        **{k[8:].lower(): v for k, v in env.items() if k.startswith("CASCADE_")}, mongo_url=env["MONGO_URL"]
    )
    assert Senders(settings).servers() == {
        "email": "smtp.gdkx.example.cn:587（starttls）",
        "sms": "https://sms.gdkx.example.cn/send",
    }
