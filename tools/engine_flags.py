"""Generate the flag lists of the Python engines (vLLM, SGLang) from their pinned releases.

`make engine-facts` runs this; its output, generator/catalog/contracts/<engine>-flags.yaml,
is committed and CI never runs it (it needs PyPI). The engine is never imported: its
argument parser is read statically with `ast`, so no torch or CUDA is needed.

Why the wheel and not the sdist: `pip download --no-binary :all:` has to build an sdist's
metadata, which for vLLM means installing torch and CUDA build requirements, and SGLang
publishes no sdist after 0.5.10. A release wheel carries the same Python sources.

How each engine registers its flags (read at the pinned version, see the files named in
SOURCES):
- vLLM: literal `add_argument("--flag", ...)` calls in EngineArgs.add_cli_args and
  make_arg_parser, plus one `--<field-name>` per field of the frontend argument classes
  (BaseFrontendArgs.add_cli_args builds them from the dataclass fields).
- SGLang: one `--<field-name>` (or `cli_name`, plus `aliases`) per `A[T, ...]` field of the
  argument dataclasses under sglang/srt/arg_groups/fields/ (add_cli_args_from_dataclass;
  fields with `Arg(no_cli=True)` are skipped), plus literal `add_argument` calls in
  ServerArgs.add_cli_args.

Usage: python -m tools.engine_flags [--engine vllm|sglang] [--out DIR]
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "generator" / "catalog" / "contracts"

# engine -> (PyPI name, version, repository, files whose parsers we read)
SOURCES: dict[str, dict[str, object]] = {
    "vllm": {
        "package": "vllm", "version": "0.33.0", "repo": "vllm-project/vllm",
        "literal": ["vllm/engine/arg_utils.py", "vllm/entrypoints/common/cli_args.py"],
        "frontendClasses": {"vllm/entrypoints/common/cli_args.py":
                            ["BaseFrontendArgs", "FrontendArgs"]},
    },
    # vLLM's TPU image (engines.yaml vllm variants.tpu) pins an older release, built as its
    # own PyPI package; its frontend arguments are still in entrypoints/openai/
    "vllm-tpu": {
        "package": "vllm-tpu", "version": "0.21.0", "repo": "vllm-project/vllm",
        "literal": ["vllm/engine/arg_utils.py", "vllm/entrypoints/openai/cli_args.py"],
        "frontendClasses": {"vllm/entrypoints/openai/cli_args.py":
                            ["BaseFrontendArgs", "FrontendArgs"]},
    },
    "sglang": {
        "package": "sglang", "version": "0.5.23", "repo": "sgl-project/sglang",
        "literal": ["sglang/srt/server_args.py"],
        "fieldDirs": ["sglang/srt/arg_groups/fields/"],
    },
}

# Engines not on PyPI: read from a git checkout of the pinned tag (`--git-dir`, e.g. a clone
# of the repository). clap: every `#[clap(long, env)]` field of the launcher's Args struct
# is a `--kebab-case` flag and an UPPER_SNAKE env name; absl: every flags.DEFINE_* name.
GIT_SOURCES: dict[str, dict[str, object]] = {
    "tgi": {"repo": "huggingface/text-generation-inference", "tag": "v2.4.0",
            "clap": ["launcher/src/main.rs"]},
    "tei": {"repo": "huggingface/text-embeddings-inference", "tag": "v1.9.3",
            "clap": ["router/src/main.rs"]},
    "jetstream": {"repo": "AI-Hypercomputer/jetstream-pytorch", "tag": "jetstream-v0.2.4",
                  "absl": ["jetstream_pt/cli.py", "jetstream_pt/config.py",
                           "jetstream_pt/fetch_models.py"]},
}


def _download(package: str, version: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", f"{package}=={version}",
                    "--no-deps", "--only-binary", ":all:", "-d", str(into), "-q"], check=True)
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel of {package}=={version} downloaded")
    return wheels[0]


def literal_flags(tree: ast.AST, groups: list[list[str]]) -> set[str]:
    """Option strings given literally to any `*.add_argument(...)` call; the names of one
    call (`--quantization`, `-q`) are one setting and go to `groups`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            names = [arg.value for arg in node.args
                     if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                     and arg.value.startswith("-")]
            found.update(names)
            if len(names) > 1:
                groups.append(sorted(names))
    return found


def _dash(name: str) -> str:
    return "--" + name.replace("_", "-")


def _class_fields(tree: ast.AST, classes: list[str]) -> set[str]:
    """`--<field>` for each annotated field of the named classes (vLLM frontend args)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                        and not item.target.id.startswith("_")):
                    found.add(_dash(item.target.id))
    return found


def _annotated_meta(annotation: ast.expr) -> ast.expr | None:
    """The metadata of `A[T, meta]` / `Annotated[T, meta]`, else None."""
    if not isinstance(annotation, ast.Subscript):
        return None
    head = annotation.value
    name = head.id if isinstance(head, ast.Name) else getattr(head, "attr", "")
    if name not in ("A", "Annotated") or not isinstance(annotation.slice, ast.Tuple):
        return None
    for meta in annotation.slice.elts[1:]:
        if isinstance(meta, ast.Constant) and isinstance(meta.value, str):
            return meta
        if isinstance(meta, ast.Call) and getattr(meta.func, "id", "") == "Arg":
            return meta
    return None


def dataclass_flags(tree: ast.AST, groups: list[list[str]]) -> set[str]:
    """SGLang's add_cli_args_from_dataclass, read statically."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            meta = _annotated_meta(item.annotation)
            if meta is None:
                continue
            keywords = {k.arg: k.value for k in meta.keywords} if isinstance(meta, ast.Call) else {}
            no_cli = keywords.get("no_cli")
            if isinstance(no_cli, ast.Constant) and no_cli.value is True:
                continue
            cli_name = keywords.get("cli_name")
            names = [cli_name.value if isinstance(cli_name, ast.Constant)
                     else _dash(item.target.id)]
            aliases = keywords.get("aliases")
            if isinstance(aliases, ast.List):
                names += [e.value for e in aliases.elts
                          if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            found.update(names)
            if len(names) > 1:
                groups.append(sorted(names))
    return found


def extract(engine: str, wheel: Path) -> dict[str, object]:
    source = SOURCES[engine]
    flags: set[str] = set()
    groups: list[list[str]] = []
    read: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()

        def parse(path: str) -> ast.AST:
            read.append(path)
            return ast.parse(archive.read(path).decode("utf-8"), filename=path)

        for path in source.get("literal", []):  # type: ignore[union-attr]
            flags |= literal_flags(parse(path), groups)
        for path, classes in dict(source.get("frontendClasses", {})).items():  # type: ignore[call-overload]
            flags |= _class_fields(parse(path), classes)
        for folder in source.get("fieldDirs", []):  # type: ignore[union-attr]
            for path in sorted(n for n in names if n.startswith(folder) and n.endswith(".py")):
                flags |= dataclass_flags(parse(path), groups)
    return {
        "engine": engine,
        "version": source["version"],
        "source": {"repo": source["repo"], "tag": f"v{source['version']}",
                   "package": f"{source['package']}=={source['version']} (PyPI wheel)",
                   "paths": sorted(set(read))},
        "flags": sorted(flags),
        # names of one setting (argparse stores them in one dest)
        "aliases": sorted({tuple(g): g for g in groups}.values()),
    }


CLAP_FIELD = re.compile(r"#\[clap\(([^\]]*)\)\]\s*(?:#\[[^\]]*\]\s*)*(\w+):")


def clap_facts(text: str) -> tuple[set[str], set[str], list[list[str]]]:
    """Flags, env names and `conflicts_with` pairs of the `struct Args` of a clap launcher."""
    start = text.index("struct Args {")
    body = text[start:text.index("\n}\n", start)]
    flags: set[str] = set()
    env: set[str] = set()
    conflicts: list[list[str]] = []
    for attrs, name in CLAP_FIELD.findall(body):
        parts = [a.strip() for a in attrs.split(",")]
        if "long" in parts:
            flags.add(_dash(name))
        if "short" in parts:
            flags.add("-" + name[0])
        if "env" in parts:
            env.add(name.upper())
        for part in parts:
            if part.startswith("conflicts_with"):
                other = part.split("=", 1)[1].strip().strip('"')
                conflicts.append(sorted([name.upper(), other.upper()]))
    return flags, env, conflicts


def absl_flags(tree: ast.AST) -> set[str]:
    """`--name` of every `flags.DEFINE_*("name", ...)`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("DEFINE") and node.args
                and isinstance(node.args[0], ast.Constant)):
            found.add(f"--{node.args[0].value}")
    return found


def extract_git(engine: str, git_dir: Path) -> dict[str, object]:
    source = GIT_SOURCES[engine]
    tag = str(source["tag"])

    def show(path: str) -> str:
        return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{tag}:{path}"],
                              check=True, capture_output=True, text=True).stdout

    flags: set[str] = set()
    env: set[str] = set()
    conflicts: list[list[str]] = []
    paths = [*source.get("clap", []), *source.get("absl", [])]  # type: ignore[misc]
    for path in source.get("clap", []):  # type: ignore[union-attr]
        more_flags, more_env, more_conflicts = clap_facts(show(path))
        flags |= more_flags
        env |= more_env
        conflicts += more_conflicts
    for path in source.get("absl", []):  # type: ignore[union-attr]
        flags |= absl_flags(ast.parse(show(path)))
    facts: dict[str, object] = {
        "engine": engine, "version": tag,
        "source": {"repo": source["repo"], "tag": tag, "paths": sorted(paths)},
        "flags": sorted(flags),
    }
    if env:
        facts["env"] = sorted(env)
    if conflicts:
        facts["conflicts"] = sorted(map(list, {tuple(c) for c in conflicts}))
    return facts


HEADER = ("# GENERATED by `make engine-facts` (tools/engine_flags.py) from the pinned release's\n"
          "# own argument parser, read statically. Do not edit; re-run after a version bump.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted({*SOURCES, *GIT_SOURCES}), action="append")
    parser.add_argument("--git-dir", type=Path,
                        help="a git repository holding the pinned tag (TGI, TEI, JetStream)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading")
    args = parser.parse_args(argv)
    for engine in args.engine or sorted(SOURCES):
        if engine in GIT_SOURCES:
            if args.git_dir is None:
                raise SystemExit(f"{engine}: pass --git-dir, a clone holding its pinned tag")
            facts = extract_git(engine, args.git_dir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                source = SOURCES[engine]
                wheel = args.wheel or _download(str(source["package"]), str(source["version"]),
                                                Path(tmp))
                facts = extract(engine, wheel)
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / f"{engine}-flags.yaml"
        target.write_text(HEADER + yaml.safe_dump(facts, sort_keys=False, width=100),
                          encoding="utf-8")
        print(f"{target.relative_to(ROOT)}: {len(facts['flags'])} flags")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
