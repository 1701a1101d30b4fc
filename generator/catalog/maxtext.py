"""MaxText's command line at the jetstream-maxtext engine's pinned release, as catalog data:
contracts/maxtext.yaml (written by hand, with sources) and contracts/maxtext-keys.yaml
(generated from MaxText's own config by tools/maxtext_config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from generator.catalog import read_data


@dataclass(frozen=True)
class MaxText:
    engine: str  # the catalog engine whose server reads this command line
    version: str
    default_config: str
    keys: frozenset[str]  # of configs/base.yml: the only ones the command line may set
    ici_axes: tuple[str, ...]  # `ici_<axis>_parallelism` keys
    quantizations: tuple[str, ...]
    gpu_only_quantizations: frozenset[str]
    quantization_needs: Mapping[str, str]  # quantization -> the key it needs set
    configs: frozenset[str]  # config files in the release
    models: Mapping[str, frozenset[str]]  # model_name -> the keys its model config sets

    def axis_key(self, axis: str) -> str:
        """The MaxText key of a spec parallelism axis: ici_tensor -> ici_tensor_parallelism."""
        return f"{axis}_parallelism"

    def spec_axes(self) -> list[str]:
        return [f"ici_{axis}" for axis in self.ici_axes]


@cache
def maxtext() -> MaxText:
    written = read_data("contracts/maxtext.yaml")
    generated = read_data("contracts/maxtext-keys.yaml")
    return MaxText(
        engine=written["engine"], version=str(generated["version"]),
        default_config=written["defaultConfig"],
        keys=frozenset(generated["keys"]), ici_axes=tuple(generated["iciAxes"]),
        quantizations=tuple(generated["quantizations"]),
        gpu_only_quantizations=frozenset(written["gpuOnlyQuantizations"]),
        quantization_needs=dict(written["quantizationNeeds"]),
        configs=frozenset(generated["configs"]),
        models={name: frozenset(keys) for name, keys in generated["models"].items()})
