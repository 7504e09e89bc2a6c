"""House rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import ignite_gen

PACKAGE = Path(ignite_gen.__file__).parent


def test_every_package_declares_all():
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="ignite_gen."):
        if info.name.endswith("__main__"):  # importing it would run the command
            continue
        module = importlib.import_module(info.name)
        assert hasattr(module, "__all__"), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"


def test_public_classes_have_a_docstring_with_an_example():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                doc = ast.get_docstring(node) or ""
                if "Example:" not in doc:
                    missing.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert not missing
