"""The kernel table's contract: every kernel has a reference form, a cpu and a cuda form or a
declared fallback, forms that load and share one signature; call sites name kernels
literally; the dispatch point fails clearly on unknown names and choices."""
import ast
import importlib
import inspect
import pathlib
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

from minicnn import kernels
from minicnn.kernels import cpu, cuda, reference, registry

NAMES = kernels.names()
REPO = pathlib.Path(__file__).resolve().parents[2]


def _load(location):
    return getattr(importlib.import_module(f"minicnn.kernels.{location.module}"),
                   location.function)


def _parameters(function):
    """(name, kind, default) of each parameter; a Numba dispatcher's are its .py_func's."""
    signature = inspect.signature(getattr(function, "py_func", function))
    return tuple((p.name, p.kind, p.default) for p in signature.parameters.values())


def test_names_are_sorted_and_each_listed_once():
    listed = [name for names, _ in registry._GROUPS for name in names]
    assert len(NAMES) > 30 and list(NAMES) == sorted(listed)


@pytest.mark.parametrize("name", NAMES)
def test_every_kernel_has_a_reference_form(name):
    assert "reference" in kernels.forms(name).forms


@pytest.mark.parametrize("form", ["cpu", "cuda"])
@pytest.mark.parametrize("name", NAMES)
def test_every_form_exists_or_has_a_declared_fallback(name, form):
    entry = kernels.forms(name)
    assert (form in entry.forms) != (form in entry.fallbacks)
    fallback = entry.fallbacks.get(form)
    if fallback is not None:
        assert fallback.reason.strip()
        assert fallback.to is None or fallback.to in entry.forms


@pytest.mark.parametrize("name", NAMES)
def test_forms_load_and_share_one_signature(name):
    parameters = {form: _parameters(_load(location))
                  for form, location in kernels.forms(name).forms.items()}
    assert len(set(parameters.values())) == 1, parameters


def test_reading_the_table_and_loading_cuda_wrappers_imports_neither_numba_nor_cupy():
    """The source folder kernels/ imported on its own: no minicnn above it loads them."""
    script = (
        "import importlib, sys\n"
        "import kernels\n"
        "entries = [kernels.forms(name) for name in kernels.names()]\n"
        "assert 'numba' not in sys.modules and 'cupy' not in sys.modules\n"
        "for entry in entries:\n"
        "    if 'cuda' in entry.forms:\n"
        "        importlib.import_module('kernels.' + entry.forms['cuda'].module)\n"
        "assert 'cupy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True)


def test_every_public_reference_function_is_registered():
    public = set()
    for info in pkgutil.iter_modules(reference.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{reference.__name__}.{info.name}")
        public |= {(f"reference.{info.name}", attr) for attr, value in vars(module).items()
                   if inspect.isfunction(value) and value.__module__ == module.__name__
                   and not attr.startswith("_")}
    registered = {(location.module, location.function)
                  for location in (kernels.forms(name).forms["reference"] for name in NAMES)}
    assert public == registered


def test_form_packages_hold_what_runs_in_their_form():
    assert reference.__all__ == cpu.__all__ == list(NAMES)
    assert cuda.__all__ == [name for name in NAMES if "cuda" in kernels.forms(name).forms
                            or kernels.forms(name).fallbacks["cuda"].to == "reference"]
    assert cuda.channel_affine is reference.channel_affine
    assert cpu.im2col is _load(kernels.forms("im2col").forms["cpu"])


def _kernel_calls(path):
    """The first argument of every `kernels.get(...)` call in the file at `path`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "kernels"):
            yield node.lineno, node.args[0]


def test_call_sites_name_registered_kernels_literally():
    unnamed, unknown, calls = [], [], 0
    for path in sorted((REPO / "minicnn").rglob("*.py")):
        for line, first in _kernel_calls(path):
            calls += 1
            where = f"{path.relative_to(REPO)}:{line}"
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                unnamed.append(where)
            elif first.value not in NAMES:
                unknown.append(f"{where} {first.value!r}")
    assert calls > 20 and not unnamed and not unknown, (unnamed, unknown)


def test_get_names_the_close_matches_of_an_unknown_kernel():
    with pytest.raises(LookupError, match=r"no kernel named 'im2cols'; close matches: im2col"):
        kernels.get("im2cols", np.zeros(1))
    with pytest.raises(LookupError, match="no kernel named 'zzz' "):
        kernels.forms("zzz")


def test_a_missing_form_runs_its_fallback_or_fails_with_its_reason():
    assert registry.load("layer_norm_forward", "cuda") is reference.layer_norm_forward
    with pytest.raises(LookupError, match="'winograd_input' has no cuda form: CuPy arrays take"):
        registry.load("winograd_input", "cuda")


def test_set_kernels_forces_the_reference_form_and_restores_auto():
    x = np.zeros(3)
    assert kernels.active_form(x) == "cpu" and kernels.get("relu", x) is cpu.relu
    with kernels.set_kernels("reference"):
        assert kernels.active_form(x) == "reference" and kernels.get("relu", x) is reference.relu
        with kernels.set_kernels("auto"):
            assert kernels.get("relu", x) is cpu.relu
        assert kernels.active_form(x) == "reference"
    assert kernels.active_form(x) == "cpu"


@pytest.mark.parametrize("choice", ["cpu", "cuda", "fast", "Auto", None])
def test_set_kernels_accepts_only_auto_and_reference(choice):
    with pytest.raises(ValueError, match=r"form must be one of \('auto', 'reference'\)"):
        kernels.set_kernels(choice)
    assert kernels.active_form(np.zeros(1)) == "cpu"
