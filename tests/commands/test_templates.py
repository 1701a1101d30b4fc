"""Templates splice no raw text: every value goes through a quoting filter, enforced when a
template loads, so no value can change the structure of what it renders."""

from __future__ import annotations

import jinja2
import pytest
import yaml

from generator.commands import templates

INJECTIONS = ["a: b", "x\n  injected: true", "{{ x }}", "--- #", "- item", "'", '"', "yes",
              "1.33", "", "é\u2028x", "a\rb", "# comment", "&anchor *alias", "!!python/object"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_the_yaml_filter_keeps_any_value_one_scalar(value: str) -> None:
    document = f"key: {templates.to_yaml(value)}\nnext: 1\n"
    assert yaml.safe_load(document) == {"key": value, "next": 1}
    nested = f"outer:\n  key: {templates.to_yaml(value)}\n  next: 1\n"
    assert yaml.safe_load(nested) == {"outer": {"key": value, "next": 1}}


@pytest.mark.parametrize("source", ["{{ value }}", "{{ value | upper }}",
                                    "{% if x %}{{ x }}{% endif %}"])
def test_a_value_without_a_quoting_filter_is_refused(source: str) -> None:
    env = templates.environment()
    with pytest.raises(templates.UnsafeTemplate, match="every value needs"):
        templates.check_safe(source, "bad.j2", env)


def test_safe_values_pass_and_undefined_names_fail() -> None:
    env = templates.environment()
    templates.check_safe("a: {{ value | yaml }}\nb: {{ other | tojson }}\n", "ok.j2", env)
    with pytest.raises(jinja2.UndefinedError):
        templates.render("new-model.yaml.j2", name="x")


def test_the_new_model_template_renders_injections_as_data() -> None:
    hostile = "hf://org/m\nspec: {injected: true}"
    text = templates.render(
        "new-model.yaml.j2", api_version="infergen.dev/v1alpha1", name="m", namespace="ns",
        source=hostile, parameters=None, engine="vllm", accelerator={"type": "nvidia-l4"})
    document = yaml.safe_load(text)
    assert document["spec"]["model"]["source"] == hostile
    assert "injected" not in document["spec"]
