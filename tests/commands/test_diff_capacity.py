"""`infergen diff`'s capacity and list-price section, on a temporary git repository: a
change that adds a model, one that raises maxReplicas, one that moves to Spot. The Markdown
of each is a golden file (tests/commands/golden/; refresh with INFERGEN_UPDATE_GOLDEN=1 and
review), and the counts and prices are checked against the price list by hand."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.catalog import prices as price_data
from generator.cli import main

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("INFERGEN_UPDATE_GOLDEN") == "1"
PRICES = price_data.load()
HOURS = PRICES.hours_per_month

PLATFORM = """\
apiVersion: infergen.dev/v1alpha1
kind: Platform
metadata:
  name: acme
spec:
  configSync:
    repo: https://example.com/config.git
  environments:
    - name: dev
      clusters: [dev-us-central1]
    - name: prod
      clusters: [{name: prod-a, region: europe-west4}, prod-us-central1]
"""
L4 = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: chat
  namespace: llm
spec:
  model: {source: hf://org/chat}
  accelerator: {type: nvidia-l4}
  scaling: {minReplicas: 1, maxReplicas: 4}
  deployTo: [prod]
"""
H100 = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: big
  namespace: llm
spec:
  model: {source: hf://org/big}
  accelerator: {type: nvidia-h100-80gb, count: 1}
  scaling: {minReplicas: 2, maxReplicas: 8}
  deployTo: [prod]
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   cwd=repo, check=True, capture_output=True)


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One commit: `chat` on one L4 per replica, 1 to 4 replicas, on prod's two clusters."""
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, {"platform.yaml": PLATFORM, "llm/chat.yaml": L4})
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rate(machine: str, region: str, kind: str = "on_demand") -> float:
    rate = PRICES.rate(machine, region)
    assert rate is not None, (machine, region)
    return float(getattr(rate, kind))


def both(machine: str, kind: str = "on_demand") -> float:
    """One node in each of prod's regions, per hour."""
    return _rate(machine, "europe-west4", kind) + _rate(machine, "us-central1", kind)


def _section(markdown: str) -> str:
    start = markdown.index("#### Capacity and list price: prod")
    return markdown[start:markdown.index("#### Objects", start)]


def _run(name: str) -> tuple[str, dict[str, object]]:
    runner = CliRunner()
    text = runner.invoke(main, ["diff"])
    assert text.exit_code == 0, text.output
    data = runner.invoke(main, ["diff", "--format", "json"])
    assert data.exit_code == 0, data.output
    section = _section(text.stdout)
    golden = GOLDEN / f"diff-capacity-{name}.md"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(section, encoding="utf-8")
    assert section == golden.read_text(encoding="utf-8")
    return text.stdout, json.loads(data.stdout)["capacity"]["prod"]


def test_adding_a_model(repo: Path) -> None:
    write(repo, {"llm/big.yaml": H100})
    markdown, prod = _run("add-model")
    accelerators = prod["accelerators"]
    assert accelerators["min"] == {"before": {"nvidia-l4": 2},
                                   "after": {"nvidia-h100-80gb": 4, "nvidia-l4": 2}}
    assert accelerators["max"]["after"] == {"nvidia-h100-80gb": 16, "nvidia-l4": 8}
    added = 2 * both("a3-highgpu-1g")  # 2 replicas on each cluster, one VM each
    assert prod["hourly"]["min"]["change"] == pytest.approx(added, abs=0.01)
    assert prod["hourly"]["max"]["change"] == pytest.approx(4 * added, abs=0.01)
    assert prod["monthly"]["min"]["change"] == pytest.approx(added * HOURS, abs=0.05)
    assert prod["models"]["llm/big"]["before"] is None
    # a new accelerator type (quota) and a peak far above 25%: both RISK lines, on top
    assert "> **RISK**: `prod` uses a new accelerator type, nvidia-h100-80gb (×16" in markdown
    assert "> **RISK**: `prod`'s list price at maxReplicas rises" in markdown
    assert "list-price estimate" in markdown.lower() and PRICES.date in markdown


def test_raising_max_replicas(repo: Path) -> None:
    write(repo, {"llm/chat.yaml": L4.replace("maxReplicas: 4", "maxReplicas: 6")})
    markdown, prod = _run("raise-max")
    assert prod["accelerators"]["min"] == {"before": {"nvidia-l4": 2}, "after": {"nvidia-l4": 2}}
    assert prod["accelerators"]["max"] == {"before": {"nvidia-l4": 8},
                                           "after": {"nvidia-l4": 12}}
    assert prod["hourly"]["min"]["change"] == 0
    node = both("g2-standard-4")
    assert prod["hourly"]["max"]["before"] == pytest.approx(4 * node, abs=0.01)
    assert prod["hourly"]["max"]["change"] == pytest.approx(2 * node, abs=0.01)
    # +50% at peak: over the default 25%; no new accelerator type
    assert prod["risks"] == [
        "`prod`'s list price at maxReplicas rises 50% "
        f"(${4 * node:,.2f} → ${6 * node:,.2f} per hour), more than diff.costRiskPercent (25%)"]


def test_raising_max_replicas_under_the_risk_threshold(repo: Path) -> None:
    write(repo, {"platform.yaml": PLATFORM + "  diff: {costRiskPercent: 60}\n",
                  "llm/chat.yaml": L4.replace("maxReplicas: 4", "maxReplicas: 6")})
    result = CliRunner().invoke(main, ["diff", "--format", "json"])
    assert json.loads(result.stdout)["capacity"]["prod"]["risks"] == []


def test_moving_to_spot(repo: Path) -> None:
    write(repo, {"llm/chat.yaml": L4 + "  capacity: {provisioning: [spot, on-demand]}\n"})
    markdown, prod = _run("spot")
    assert prod["accelerators"]["max"] == {"before": {"nvidia-l4": 8}, "after": {"nvidia-l4": 8}}
    spot, on_demand = both("g2-standard-4", "spot"), both("g2-standard-4")
    assert prod["hourly"]["min"]["after"] == pytest.approx(spot, abs=0.01)
    assert prod["hourly"]["min"]["change"] == pytest.approx(spot - on_demand, abs=0.01)
    assert prod["hourly"]["max"]["after"] == pytest.approx(4 * spot, abs=0.01)
    assert prod["risks"] == []
    assert any("priced as spot, its first choice (then on-demand" in n for n in prod["notes"])


def test_a_reservation_is_priced_at_zero_and_says_so(repo: Path) -> None:
    write(repo, {"llm/chat.yaml": L4 + "  capacity: {provisioning: [reservation], "
                                        "reservation: l4-pool}\n"})
    result = CliRunner().invoke(main, ["diff", "--format", "json"])
    prod = json.loads(result.stdout)["capacity"]["prod"]
    assert prod["hourly"]["max"]["after"] == 0
    assert any("priced at 0 beyond what is already committed" in n for n in prod["notes"])


def test_discount_applies_to_every_list_price(repo: Path) -> None:
    write(repo, {"platform.yaml": PLATFORM + "  pricing: {discount: 0.25}\n"})
    result = CliRunner().invoke(main, ["diff", "--format", "json"])
    prod = json.loads(result.stdout)["capacity"]["prod"]
    assert prod["hourly"]["min"]["after"] == pytest.approx(0.75 * both("g2-standard-4"),
                                                           abs=0.01)
    assert "less pricing.discount 25%" in prod["label"]


def test_a_change_without_capacity_effect_has_no_section(repo: Path) -> None:
    write(repo, {"llm/chat.yaml": L4 + "  server: {args: [--enable-prefix-caching]}\n"})
    result = CliRunner().invoke(main, ["diff"])
    assert result.exit_code == 0, result.output
    assert "Capacity and list price" not in result.stdout


def test_old_prices_warn_but_change_nothing_else(repo: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"llm/chat.yaml": L4.replace("maxReplicas: 4", "maxReplicas: 6")})
    fresh = CliRunner().invoke(main, ["diff"])
    stale = dataclasses.replace(PRICES, sources={
        name: dataclasses.replace(source, date="2020-01-01")
        for name, source in PRICES.sources.items()})
    monkeypatch.setattr(price_data, "load", lambda: stale)
    old = CliRunner().invoke(main, ["diff"])
    assert "infergen: warning: the list prices are" in old.stderr
    assert "warning" not in fresh.stderr
    assert old.stdout == fresh.stdout.replace(PRICES.date, "2020-01-01")


def test_an_unpriced_accelerator_is_watched_by_its_count(repo: Path) -> None:
    h200 = L4.replace("{type: nvidia-l4}", "{type: nvidia-h200-141gb, count: 8}")
    write(repo, {"llm/chat.yaml": h200})  # neither price list has an A3 Ultra VM price
    git(repo, "commit", "-qam", "h200")
    write(repo, {"llm/chat.yaml": h200.replace("maxReplicas: 4", "maxReplicas: 8")})
    result = CliRunner().invoke(main, ["diff", "--format", "json"])
    prod = json.loads(result.stdout)["capacity"]["prod"]
    assert prod["complete"] is False and prod["hourly"]["max"]["change"] == 0
    assert prod["risks"] == [
        "`prod`'s nvidia-h200-141gb at maxReplicas rises 100% (64 → 128), more than "
        "diff.costRiskPercent (25%); it has no list price, so the price above leaves it out"]
    markdown = CliRunner().invoke(main, ["diff"]).stdout
    assert "| per hour (priced models only) |" in markdown
    assert "not priced (left out of the totals): `llm/chat`: nvidia-h200-141gb: not in " \
        "cyclenerd's price list" in markdown


TPU = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: tpu
  namespace: llm
spec:
  model: {source: hf://org/tpu, parameters: 8B}
  accelerator: {type: tpu-v6e, topology: 2x4}
  scaling: {minReplicas: 1, maxReplicas: 3}
  deployTo: [prod]
"""


def test_a_t4_and_a_tpu_are_priced_from_the_second_source(repo: Path) -> None:
    """T4s (an N1 VM plus its GPU) and TPU slices (per chip-hour) come from
    skypilot-catalog: the label names both sources, each with its date."""
    t4 = L4.replace("nvidia-l4", "nvidia-tesla-t4")
    write(repo, {"llm/chat.yaml": t4.replace("maxReplicas: 4", "maxReplicas: 6")})
    git(repo, "commit", "-qam", "t4")
    write(repo, {"llm/chat.yaml": t4, "llm/tpu.yaml": TPU})
    prod = json.loads(CliRunner().invoke(main, ["diff", "--format", "json"]).stdout)[
        "capacity"]["prod"]
    assert prod["complete"] is True
    # 2x4 v6e: one 8-chip host (ct6e-standard-8t) per replica and cluster
    v6e = both("ct6e-standard-8t")
    assert prod["hourly"]["min"]["change"] == pytest.approx(v6e, abs=0.01)
    assert prod["hourly"]["max"]["change"] == pytest.approx(3 * v6e - 2 * both("n1-standard-4"),
                                                           abs=0.01)
    sky, cyc = PRICES.sources["skypilot"], PRICES.sources["cyclenerd"]
    assert f"list prices of {cyc.date} and read {sky.date}" in prod["label"]
    assert cyc.url in prod["label"] and sky.url in prod["label"]


def test_the_readme_shows_this_comment() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert (GOLDEN / "diff-capacity-raise-max.md").read_text(encoding="utf-8").strip() in readme
