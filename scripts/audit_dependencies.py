"""Known vulnerabilities of the installed packages, from PyPI's JSON API (what `make lint` runs after pip-audit).

`pip-audit -s pypi` asks PyPI for each installed version (`/pypi/NAME/VERSION/json`). Where that address
is not served (the package proxy of our build machines answers 404 for every one of them), pip-audit skips
every package and still prints "No known vulnerabilities found". This script asks the project's address
(`/pypi/NAME/json`) instead, whose `vulnerabilities` are those of the latest release: it audits each
installed package that is the latest release, and each other one through its own version's address when
that is served. A network failure, a vulnerability not waived with `--ignore-vuln ID`, or auditing
nothing makes it fail; packages it cannot audit are named on every run (and fail it with --strict).

    python scripts/audit_dependencies.py [--ignore-vuln ID ...] [--strict]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from packaging.utils import canonicalize_name

PYPI = "https://pypi.org/pypi"


def _get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310  # nosec B310  # a fixed https address
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def audit(name: str, version: str) -> tuple[str, str, list[dict] | None]:
    """(name, version, vulnerabilities), or None as the list when nothing says which apply to `version`."""
    project = _get(f"{PYPI}/{name}/json")
    if project is not None and project["info"]["version"] == version:
        return name, version, project.get("vulnerabilities") or []
    release = _get(f"{PYPI}/{name}/{version}/json")
    return name, version, None if release is None else release.get("vulnerabilities") or []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ignore-vuln", action="append", default=[], metavar="ID")
    parser.add_argument("--strict", action="store_true", help="fail when a package cannot be audited")
    args = parser.parse_args()
    ignored = set(args.ignore_vuln)
    this = canonicalize_name("perche")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()
                 if d.metadata["Name"] and canonicalize_name(d.metadata["Name"]) != this}
    try:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda item: audit(*item), sorted(installed.items())))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        print(f"Dependency audit failed: PyPI could not be reached ({exc}). Nothing was audited.", file=sys.stderr)
        return 1
    found, unaudited = [], []
    for name, version, vulns in results:
        if vulns is None:
            unaudited.append(f"{name}=={version}")
            continue
        for vuln in vulns:
            ids = {vuln.get("id", "")} | set(vuln.get("aliases") or [])
            if not vuln.get("withdrawn") and not ids & ignored:
                fixed_in = ", ".join(vuln.get("fixed_in") or []) or "no release yet"
                found.append(f"{name}=={version}: {vuln.get('id')} (fixed in {fixed_in})"
                             f" {(vuln.get('summary') or vuln.get('details') or '')[:120]}")
    audited = len(results) - len(unaudited)
    print(f"Audited {audited} of {len(results)} installed packages against PyPI's vulnerability data.")
    for line in found:
        print(f"VULNERABLE {line}", file=sys.stderr)
    if unaudited:
        print(f"NOT AUDITED ({len(unaudited)}: neither the latest release nor served by version): "
              + ", ".join(unaudited) + ". Audit them with pip-audit where pypi.org or OSV answers.", file=sys.stderr)
    if audited == 0:
        print("Dependency audit failed: no package could be audited.", file=sys.stderr)
    return 1 if found or audited == 0 or (args.strict and unaudited) else 0


if __name__ == "__main__":
    sys.exit(main())
