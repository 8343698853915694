"""Imports by name (importlib, string module paths) go down the pipeline too.

import-linter (`lint-imports` in CI) checks `import` statements; it cannot see a module
imported from a string. This test reads every string constant in the package and fails
on one that names a module of a layer above the module holding it.
"""

from __future__ import annotations

import ast
import re
import tomllib

from .conftest import ROOT

_NAME = re.compile(r"^recall_cli\.(\w+)(\.\w+)*$")


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    return [part.strip().removeprefix("recall_cli.") for part in contract["layers"][0:-1]]


def test_no_module_names_a_layer_above_it_in_a_string() -> None:
    layers = _layers()  # top first: cli, serve, output, tasks, ...
    upward = []
    for path in sorted((ROOT / "recall_cli").rglob("*.py")):
        package = path.relative_to(ROOT / "recall_cli").parts[0]
        if package not in layers:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _NAME.match(node.value)
                named = match.group(1) if match else None
                if named in layers and layers.index(named) < layers.index(package):
                    upward.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert upward == []


def test_the_layer_list_is_read() -> None:
    assert _layers()[:4] == ["cli", "serve", "output", "tasks"]
