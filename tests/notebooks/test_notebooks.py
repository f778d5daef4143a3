"""The data-science notebooks: committed without outputs, and executed headless on a small generated demo.

The kernel is this interpreter: a `python3` kernelspec pointing at `sys.executable` is written into a temporary
Jupyter path, so a clean clone (no `ipykernel install --user`) and a developer machine with other `python3`
kernels registered both run the notebook in the project's venv.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT = 300


def _outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]


def _texts(outputs: list[dict[str, Any]], mime: str) -> list[str]:
    return [output["data"][mime] for output in outputs if mime in output.get("data", {})]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {number} has outputs: strip them before committing"
            assert cell.execution_count is None, f"{path.name} cell {number} has an execution count"


@pytest.fixture
def venv_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A `python3` kernelspec running this interpreter, first on the Jupyter path; returns its name."""
    prefix = tmp_path / "jupyter"
    install_kernelspec(kernel_name="python3", prefix=str(prefix))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve(), spec.argv
    return "python3"


def test_evaluate_notebook_runs_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, venv_kernel: str
) -> None:
    work = tmp_path / "work"
    # the kernel inherits this environment: a small demo, written under tmp_path, never into the repository
    monkeypatch.setenv("MEMFEED_NOTEBOOK_DATA", "demo")
    monkeypatch.setenv("MEMFEED_NOTEBOOK_DIR", str(work))
    monkeypatch.setenv("MEMFEED_NOTEBOOK_ITEMS", "400")
    monkeypatch.setenv("MEMFEED_NOTEBOOK_USERS", "80")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    nb = nbformat.read(NOTEBOOKS / "01-evaluate.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=venv_kernel,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, on the first failing cell

    outputs = _outputs(nb)
    assert not [o for o in outputs if o["output_type"] == "error"]
    tables = [t for t in _texts(outputs, "text/markdown") if "| model |" in t]
    # memfeed's row beside the baselines', under each protocol of `memfeed eval`
    assert tables and "| **memfeed** (served ranking) |" in tables[0] and "| most-popular |" in tables[0], tables
    for protocol in ("Per-user temporal", "Leave-last-one", "New items"):
        assert protocol in tables[0], protocol
    assert len(_texts(outputs, "image/png")) >= 2
    shown = "\n".join(_texts(outputs, "text/plain") + _texts(outputs, "text/html"))
    assert "because you" in shown, "the feed shows no anchor reason"
    assert (work / "memfeed.db").is_file()
    assert any((work / "models").iterdir())
