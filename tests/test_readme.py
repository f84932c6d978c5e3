"""The README's example is the code of minicnn.example, and it runs and learns (every
python block of the README runs in test_docs.py)."""
import re
import runpy
from pathlib import Path

import minicnn.example

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_is_the_shipped_example():
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    shipped = Path(minicnn.example.__file__).read_text()
    assert block.strip() in shipped


def test_example_runs_and_one_step_lowers_the_loss(capsys):
    runpy.run_path(minicnn.example.__file__, run_name="__main__")
    before, after = map(float, re.findall(r"(\d+\.\d+)", capsys.readouterr().out))
    assert after < before

