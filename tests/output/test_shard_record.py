"""The placement record read back from the tree (generator/output/shard_record.py): each
way it can be missing, damaged or not infergen's."""

from __future__ import annotations

from pathlib import Path

from generator.output import shard_record
from generator.output.sharding import PLATFORM_ROOT, Previous


def _read(out: Path, record: str | None = None,
          kustomization: str | bytes | None = None) -> tuple[Previous, list[str]]:
    env = out / "prod"
    env.mkdir(parents=True, exist_ok=True)
    if record is not None:
        (env / shard_record.RECORD).write_text(record)
    if isinstance(kustomization, bytes):
        (env / shard_record.KUSTOMIZATION).write_bytes(kustomization)
    elif kustomization is not None:
        (env / shard_record.KUSTOMIZATION).write_text(kustomization)
    found, problems = shard_record.read(out, "prod")
    return found, [p.message for p in problems]


def test_an_empty_moving_section_is_no_move(tmp_path: Path) -> None:
    found, problems = _read(tmp_path, "roots: {'.': 3}\nmodels: {llm/a: '.'}\nmoving:\n")
    assert problems == [] and found.models == {"llm/a": "."} and found.moving == {}


def test_a_record_naming_unknown_roots_is_refused(tmp_path: Path) -> None:
    found, problems = _read(tmp_path, "roots: {'.': 3, elsewhere: 1}\n"
                            "models: {llm/a: elsewhere}\nmoving: {}\n")
    assert found == Previous(rendered=True)
    assert problems == ["names unknown roots: ['elsewhere']"]


def test_an_unreadable_single_root_kustomization_is_left_to_the_render(
        tmp_path: Path) -> None:
    """Not a placement record: render rewrites it, and places the models afresh."""
    found, problems = _read(tmp_path, kustomization=b"\xff\xfe not utf-8")
    assert (found, problems) == (Previous(rendered=True), [])
    found, problems = _read(tmp_path / "other", kustomization="resources: [llm/a/x.yaml]\n")
    assert found.models == {"llm/a": PLATFORM_ROOT}


def test_a_record_whose_models_are_not_a_mapping_is_not_infergen_s(tmp_path: Path) -> None:
    found, problems = _read(tmp_path, "roots: {'.': 3}\nmodels: [llm/a]\nmoving: {}\n")
    assert found == Previous(rendered=True)
    assert problems == ["is not a placement record infergen wrote (it needs roots, models)"]
