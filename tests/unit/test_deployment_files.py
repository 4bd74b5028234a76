"""The deployment files (compose.yaml, deploy/) parse and say what several replicas need: one
client stays on one replica (the chat UI's queue and its event stream), every replica has the
same chat UI key, and the image's index folder belongs to the app's user. They cannot be run
here (no container runtime, no cluster): these read them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def kubernetes() -> list[dict[str, Any]]:
    text = (ROOT / "deploy" / "kubernetes" / "strategy-qa.yaml").read_text(encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(text) if doc]


def test_compose_gives_every_app_replica_one_chat_ui_key() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    for service in ("app", "ingest"):
        environment = compose["services"][service]["environment"]
        assert "SQA_CHAT_UI__STATE_SECRET" in environment
    # required, with a message, rather than each replica making its own key
    assert ":?" in compose["services"]["app"]["environment"]["SQA_CHAT_UI__STATE_SECRET"]


def test_the_load_balancer_keeps_a_client_on_one_replica() -> None:
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream strategy_qa \{(.*?)\}", nginx, re.DOTALL)
    assert upstream is not None
    # a plain hash: a consistent one keys on the server's name, which every replica shares
    assert re.search(r"^\s*hash \$remote_addr;", upstream.group(1), re.MULTILINE)
    service = next(
        d for d in kubernetes() if d["kind"] == "Service" and d["metadata"]["name"] == "app"
    )
    assert service["spec"]["sessionAffinity"] == "ClientIP"


def test_the_kubernetes_secret_holds_a_chat_ui_key_the_settings_accept() -> None:
    secret = next(d for d in kubernetes() if d["kind"] == "Secret")
    key = secret["stringData"]["SQA_CHAT_UI__STATE_SECRET"]
    settings = Settings(chat_ui={"state_secret": key})
    assert settings.chat_ui.state_secret is not None


def test_the_image_makes_the_index_folder_the_apps_user_owns() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    made = re.search(r"install -d -o sqa -g sqa ([^\n]+)", dockerfile)
    assert made is not None and "/home/sqa/index" in made.group(1).split()
    assert dockerfile.index("install -d -o sqa") < dockerfile.index("USER sqa")
    assert "SQA_INDEX_DIR=/home/sqa/index" in dockerfile
