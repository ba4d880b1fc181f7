"""Is the lock file still the lock of pyproject.toml? Every range there must be met by a pin here.

    python scripts/check_lock.py requirements.lock            # the app's dependencies
    python scripts/check_lock.py requirements-test.lock test  # and the `test` extra's

Fails (exit 1) naming each requirement the lock doesn't meet, and says to run `make lock`: a
dependency added to pyproject.toml is never silently missing from an install.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a brand-new venv: only pip is there, and pip carries packaging
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def problems(lock: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    pinned = pins(lock)
    out = []
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            out.append(f"{requirement} is not in {lock.name}")
        elif not requirement.specifier.contains(version, prereleases=True):
            out.append(f"{requirement} but {lock.name} pins {requirement.name}=={version}")
    return out


def main(argv: list[str]) -> int:
    lock, extras = ROOT / argv[0], argv[1:]
    if not lock.exists():
        print(f"{lock.name} is missing: run `make lock`", file=sys.stderr)
        return 1
    found = problems(lock, extras)
    for problem in found:
        print(f"pyproject.toml asks for {problem}", file=sys.stderr)
    if found:
        print(f"{lock.name} is out of date with pyproject.toml: run `make lock` and commit both.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
