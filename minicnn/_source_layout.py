"""Make `minicnn.kernels` importable from a source checkout.

Installed, the top-level kernels/ folder is the package minicnn/kernels (pyproject's
package-dir). Run from the repository root without an editable install (for example
`python -m minicnn.example` after `pip install .`), Python finds this source tree's
minicnn/ first, where kernels/ sits beside the package instead of inside it.
"""
import importlib.util
import os
import sys


def use_source_kernels():
    """Register ../kernels as minicnn.kernels when minicnn/ has no kernels of its own."""
    package = os.path.dirname(os.path.abspath(__file__))
    if os.path.isdir(os.path.join(package, "kernels")) or "minicnn.kernels" in sys.modules:
        return
    if importlib.util.find_spec("minicnn.kernels") is not None:  # an editable install maps it
        return
    folder = os.path.join(os.path.dirname(package), "kernels")
    init = os.path.join(folder, "__init__.py")
    if not os.path.isfile(init):
        return
    spec = importlib.util.spec_from_file_location("minicnn.kernels", init,
                                                  submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules["minicnn.kernels"] = module
    spec.loader.exec_module(module)
