"""House rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def _cli_imports(path: Path) -> list[str]:
    """``module: name`` of each name ``path`` imports from ``ignite_gen.cli`` or below
    (relative imports resolved), except the entry point ``main`` of the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            names = [alias.name for alias in node.names]
            if module == "ignite_gen" and "cli" in names:
                found.append(f"{module}: cli")
            if module == "ignite_gen.cli":
                found += [f"{module}: {name}" for name in names if name != "main"]
            elif module.startswith("ignite_gen.cli."):
                found += [f"{module}: {name}" for name in names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("ignite_gen.cli")]
    return found


def test_only_the_cli_imports_from_the_cli_but_its_entry_point():
    root = PACKAGE.parent
    files = [
        path
        for folder in (PACKAGE, root / "benchmarks", root / "examples")
        for path in sorted(folder.rglob("*.py"))
        if PACKAGE / "cli" not in path.parents
    ]
    offenders = {str(p.relative_to(root)): _cli_imports(p) for p in files if _cli_imports(p)}
    assert not offenders, (
        f"outside ignite_gen/cli, import only main from ignite_gen.cli: {offenders}"
    )


@pytest.mark.subprocess
def test_the_command_line_imports_no_slow_library_it_may_not_need():
    # Every ignite-gen process, and each process of a multi-process run, starts by
    # importing the CLI: torchvision (with torch._dynamo) and scipy.optimize took
    # seconds of that, for commands that write no image and match no codes.
    code = "import sys, ignite_gen.cli; print(sorted({'torchvision', 'scipy'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
