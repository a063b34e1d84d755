"""The AsyncAPI documents of the services, generated from their code: every event each consumes and every request
it answers (subject, message model, description), as the service wires them.

    python -m cascade.asyncapi              write docs/asyncapi/<service>.yaml
    python -m cascade.asyncapi --check      exit 1 if a committed document differs from the code (tests run it)

Subjects are shown for a node called ``node``: on a real node that part is its id.
"""

import argparse
import json
import sys
from pathlib import Path

import yaml
from faststream.specification import AsyncAPI

from shared.settings import SETTINGS_BY_SERVICE

SERVICES = ("notices", "submissions", "notifications", "reports")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "asyncapi"
NODE = "node"


def document(service: str) -> str:
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    settings = SETTINGS_BY_SERVICE[service](
        node_id=NODE, nats_url="nats://127.0.0.1:4222", mongo_url="mongodb://127.0.0.1/"
    )
    app = module.create_app(settings)
    spec = AsyncAPI(
        app.broker,
        title=f"Cascade {service}",
        version="1",
        description=f"The {service} service of a Cascade node: the events it consumes (durable pull "
        "consumers on EVENTS_<node>) and the requests it answers (rpc.<node>.<service>.*).",
    )
    # YAML with the Chinese descriptions as they are written (the library escapes them), keys sorted: the
    # library lists channels in an order that changes from run to run.
    return yaml.safe_dump(json.loads(spec.to_specification().to_json()), allow_unicode=True, sort_keys=True, width=120)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed documents")
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    stale = []
    for service in SERVICES:
        path = args.out / f"{service}.yaml"
        text = document(service)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run `make docs`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
