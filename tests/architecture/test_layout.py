"""The house rules that import-linter cannot check: what may sit directly under `memfeed/`.

The core is domain packages (catalog, events, feed, ...); a loose module at the top is where code without a
home accumulates, so only the package marker and the composition root may live there.
"""

from __future__ import annotations

from pathlib import Path

import memfeed

ALLOWED_TOP_LEVEL = {"__init__.py", "runtime.py"}


def test_the_core_is_domain_packages_plus_the_composition_root() -> None:
    core = Path(memfeed.__file__).parent
    loose = sorted(p.name for p in core.glob("*.py") if p.name not in ALLOWED_TOP_LEVEL)
    assert loose == [], f"modules directly under memfeed/ (give them a domain package): {loose}"


def test_every_domain_package_says_what_it_holds() -> None:
    core = Path(memfeed.__file__).parent
    for package in sorted(p for p in core.iterdir() if (p / "__init__.py").exists()):
        docstring = (package / "__init__.py").read_text().lstrip()
        assert docstring.startswith('"""'), f"{package.name}/__init__.py has no docstring"
