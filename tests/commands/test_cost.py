"""`infergen cost`: the whole tree's standing capacity and list price per environment and
namespace, as text, Markdown (a golden file) and JSON; bad specs are reported, not priced."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.catalog import prices as price_data
from generator.cli import main
from tests.commands.test_diff_capacity import H100, L4, PLATFORM, both

GOLDEN = Path(__file__).parent / "golden" / "cost.md"
UPDATE = os.environ.get("INFERGEN_UPDATE_GOLDEN") == "1"
SHARED = L4.replace("name: chat", "name: tiny").replace("namespace: llm", "namespace: small") \
    .replace("{type: nvidia-l4}", "{type: nvidia-l4, sharing: {strategy: time-sharing, "
             "maxSharedClients: 4}}")


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    for name, text in {"platform.yaml": PLATFORM, "llm/chat.yaml": L4, "llm/big.yaml": H100,
                       "small/tiny.yaml": SHARED}.items():
        path = tmp_path / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "specs"


def _cost(specs: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["cost", "--specs", str(specs), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_per_environment_and_namespace(specs: Path) -> None:
    data = json.loads(_cost(specs, "--format", "json"))
    prod = data["environments"]["prod"]
    assert prod["accelerators"] == {"min": {"nvidia-h100-80gb": 4, "nvidia-l4": 2.5},
                                    "max": {"nvidia-h100-80gb": 16, "nvidia-l4": 10}}
    l4, h100 = both("g2-standard-4"), both("a3-highgpu-1g")
    assert prod["namespaces"]["small"]["hourly"]["min"] == pytest.approx(l4 / 4, abs=0.01)
    assert prod["namespaces"]["llm"]["hourly"]["max"] == pytest.approx(4 * l4 + 8 * h100,
                                                                       abs=0.01)
    assert prod["hourly"]["min"] == pytest.approx(l4 * 1.25 + 2 * h100, abs=0.01)
    assert prod["monthly"]["min"] == pytest.approx(prod["hourly"]["min"] * 730, abs=2)
    assert prod["complete"] is True
    main_source = price_data.load().sources["cyclenerd"]  # L4 and H100: whole-VM prices
    assert data["sources"] == [{"url": main_source.url, "commit": main_source.commit,
                                "date": main_source.date, "read": False}]
    assert data["date"] == main_source.date


def test_markdown_is_labelled_and_golden(specs: Path) -> None:
    out = _cost(specs, "--format", "markdown")
    assert out.startswith("## infergen cost\n\n_List-price estimate (USD, list prices of "
                          f"{price_data.load().date}")
    if UPDATE:
        GOLDEN.write_text(out, encoding="utf-8")
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_text_table(specs: Path) -> None:
    out = _cost(specs)
    assert out.startswith("List-price estimate")
    assert "\nprod/small " in out and "nvidia-l4 ×0.5" in out


def test_what_is_not_priced_is_named(specs: Path) -> None:
    (specs / "platform.yaml").write_text(PLATFORM.replace("[dev-us-central1]", "[dev-1]"),
                                         encoding="utf-8")
    (specs / "llm/chat.yaml").write_text(L4.replace("deployTo: [prod]", "deployTo: [dev]"),
                                         encoding="utf-8")
    data = json.loads(_cost(specs, "--format", "json"))
    dev = data["environments"]["dev"]
    assert dev["priced"] is False and dev["accelerators"]["max"] == {"nvidia-l4": 4}
    assert dev["notes"] == ["not priced (left out of the totals): `llm/chat`: no region for "
                            "cluster `dev-1`: set its region in the Platform (clusters: "
                            "[{name, region}]) or pricing.region"]
    assert "| dev | nvidia-l4 ×1 | nvidia-l4 ×4 | not priced |" in _cost(specs, "--format",
                                                                         "markdown")


def test_bad_specs_are_reported_not_priced(specs: Path) -> None:
    (specs / "llm/chat.yaml").write_text(L4.replace("maxReplicas: 4", "maxReplicas: -1"),
                                         encoding="utf-8")
    result = CliRunner().invoke(main, ["cost", "--specs", str(specs)])
    assert result.exit_code == 1
    assert "chat.yaml" in result.stderr and "spec.scaling.maxReplicas" in result.stderr
    assert result.stdout == ""
