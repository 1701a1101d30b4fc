"""`infergen explain`: golden outputs, the accepted path forms, and unknown paths."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from generator.cli import main

SHARING = """\
KIND:     ModelDeployment
VERSION:  infergen.dev/v1alpha1

FIELD: spec.accelerator.sharing <object>

DESCRIPTION:
    Share one physical GPU between several replicas. GPU only.

FIELDS:
  strategy\t<string> -required-
      time-sharing (no memory isolation), mps (NVIDIA Multi-Process Service) or
      mig (hardware partitions).
      allowed: time-sharing, mps, mig

  maxSharedClients\t<integer>
      Containers sharing one GPU (time-sharing, mps).
      range: 1..48

  partitionSize\t<string>
      MIG profile such as 1g.10gb (mig).
"""

NAME = """\
KIND:     ModelDeployment
VERSION:  infergen.dev/v1alpha1

FIELD: metadata.name <string> -required-

DESCRIPTION:
    Name of the model deployment; names every rendered object. A DNS-1123 label.
"""

NAMESPACE = """\
KIND:     ModelDeployment
VERSION:  infergen.dev/v1alpha1

FIELD: metadata.namespace <string>

DESCRIPTION:
    Kubernetes namespace the model runs in.
    default: inference
"""


def _explain(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["explain", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("path", "expected"), [
    ("spec.accelerator.sharing", SHARING),
    ("accelerator.sharing", SHARING),            # spec. may be left out
    ("ModelDeployment.spec.accelerator.sharing", SHARING),
    ("metadata.name", NAME),
    ("metadata.namespace", NAMESPACE),
])
def test_golden(path: str, expected: str) -> None:
    code, out, err = _explain(path)
    assert (code, err) == (0, "")
    assert out == expected


def test_platform_fields_and_list_items() -> None:
    code, out, _ = _explain("Platform.spec.environments")
    assert code == 0
    assert out.startswith("KIND:     Platform\n")
    assert "FIELD: spec.environments <[]object> -required-" in out
    assert "  clusters\t<[]string | object> -required-" in out
    code, out, _ = _explain("platform.spec.environments[0].defaults.scaling.minReplicas")
    assert code == 0
    assert "FIELD: spec.environments.defaults.scaling.minReplicas <integer>" in out


def test_environment_overrides_follow_the_map() -> None:
    code, out, _ = _explain("spec.environments.prod.accelerator.type")
    assert code == 0
    assert "FIELD: spec.environments.prod.accelerator.type <string>" in out
    assert "allowed: none, nvidia-tesla-t4, nvidia-l4" in out


@pytest.mark.parametrize(("args", "expected"), [
    (["spec.accelerator.sharng"],
     "schemas/modeldeployment.schema.json: error[explain] spec.accelerator.sharng: "
     "ModelDeployment spec.accelerator has no field 'sharng' (fields: type, count, topology, "
     "sharing, parallelism, driverVersion) (hint: did you mean 'sharing'?)"),
    (["spec.model.source.x"],
     "schemas/modeldeployment.schema.json: error[explain] spec.model.source.x: "
     "ModelDeployment spec.model.source is a string: it has no field 'x'"),
])
def test_unknown_path(args: list[str], expected: str) -> None:
    code, out, err = _explain(*args)
    assert (code, out) == (1, "")
    assert err.splitlines() == [expected]
    assert "Traceback" not in err


def test_unknown_path_as_github_annotation() -> None:
    code, out, _ = _explain("spec.acelerator", "--format", "github")
    assert code == 1
    assert out.startswith("::error file=schemas/modeldeployment.schema.json,line=0,col=0::")
    assert "did you mean 'accelerator'?" in out
