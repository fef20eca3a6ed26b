"""A non-editable install serves the pages: build the wheel, install it into a fresh venv, serve, GET /login.

The fresh venv gets the project's wheel and nothing else; the heavy dependencies (torch, spaCy...) come from
the venv running the tests through a .pth line placed after the fresh venv's own site-packages. A .pth line
adds a folder without running that folder's .pth files, so the source checkout's editable finder is not
installed; and the server runs from a temporary folder without PYTHONPATH, so the repository is not on
sys.path. What is served is therefore the `workbench` inside the fresh venv: a marker file put into its
static folder is served too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `pip install .` reads: the build configuration, the packages, and the pages that become package data.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
           "workbench", "transcription", "coding", "storytelling", "templates", "static")
MARKER = "wheel-install-marker.txt"


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    # check=False: the assert below shows the command's output when it fails
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _build_wheel(tmp: Path) -> Path:
    """The wheel of a copy of the checkout (a build inside the repository would leave build/ behind)."""
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
          "--wheel-dir", str(dist), str(source)])
    (wheel,) = dist.glob("perche-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> tuple[Path, Path]:
    """A new venv with the wheel installed and this venv's packages after its own; (bin folder, site-packages)."""
    home = tmp / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(home)
    scripts = Path(sysconfig.get_path("scripts", vars={"base": str(home), "platbase": str(home)}))
    site = Path(sysconfig.get_path("purelib", vars={"base": str(home), "platbase": str(home)}))
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)])
    (site / "zz_perche_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return scripts, site


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a loopback http URL)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def _serving(command: list[str], *, env: dict[str, str], cwd: Path, log: Path, base: str) -> Iterator[None]:
    """Run the server until /login answers; stop it (its whole process group) afterwards."""
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=output,  # our own command
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"perche serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"perche serve did not answer:\n{log.read_text()}"
            try:
                _get(f"{base}/login")
                break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def test_the_wheel_installed_in_a_fresh_venv_serves_the_pages(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    scripts, site = _fresh_venv(tmp_path, wheel)
    assert (site / "workbench" / "templates" / "auth" / "login.html").is_file()
    (site / "workbench" / "static" / MARKER).write_text("from the wheel\n", encoding="utf-8")

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PERCHE_") and key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PERCHE_DATA_DIR"] = str(tmp_path / "data")
    where = _run([str(scripts / "python"), "-c", ("import workbench.web as w; print(w.__file__); "
                                                  "print(w.TEMPLATES_DIR); print(w.STATIC_DIR)")],
                 env=env, cwd=cwd).stdout.split()
    assert all(Path(path).is_relative_to(site / "workbench") for path in where), where

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _serving([str(scripts / "perche"), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
                  env=env, cwd=cwd, log=tmp_path / "serve.log", base=base):
        status, body = _get(f"{base}/login")
        assert status == 200 and b"<form" in body
        assert _get(f"{base}/static/app.css")[0] == 200
        assert _get(f"{base}/static/{MARKER}") == (200, b"from the wheel\n")
