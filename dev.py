#!/usr/bin/env python3
"""Bootstrap and run Motcua with nothing but Python installed.

    python3 dev.py run     # set up .venv, migrate the SQLite database, load and publish processes/, serve API + scheduler
    python3 dev.py test    # set up .venv and run the whole test suite (extra arguments go to pytest)
    python3 dev.py demo    # set up .venv and run `motcua demo` (extra arguments go to it; docs/demo.md)

The virtual environment is (re)installed only when pyproject.toml changes. The web pages' front-end
packages (package.json / package-lock.json: bpmn-js) are installed into node_modules/ with `npm ci`
when the lock file changes; without npm the API still runs and the pages say what is missing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".motcua-installed"
NODE_MODULES = ROOT / "node_modules"
NODE_STAMP = NODE_MODULES / ".motcua-installed"


def _bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_venv() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and _bin("motcua").exists():
        return
    if not _bin("python").exists():
        print("dev.py: creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    print("dev.py: installing motcua and its dependencies into .venv", flush=True)
    pip = [str(_bin("python")), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def ensure_web_assets() -> None:
    """`npm ci` when package-lock.json changed since the last install; a warning, not a failure,
    when npm is missing or the registry cannot be reached (the API does not need the pages)."""
    lock = ROOT / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text().strip() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("dev.py: npm not found: the web pages (/ui/) need Node.js and npm for bpmn-js; "
              "the API runs without them", file=sys.stderr, flush=True)
        return
    print("dev.py: installing the web pages' packages (npm ci)", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--omit=dev"], cwd=ROOT)
    if done.returncode != 0:
        print("dev.py: npm ci failed: the web pages (/ui/) will say their packages are missing", file=sys.stderr)
        return
    NODE_STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "setup", "demo"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_venv()
    ensure_web_assets()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "demo":
        return subprocess.call([str(_bin("motcua")), "demo", *rest], cwd=ROOT)
    if command == "run":
        # Development: drafts loaded from processes/ are published at once so they can be tried;
        # in production the control office publishes (motcua procedures publish).
        argv = [str(_bin("motcua")), "serve", "--publish-drafts", *rest]
        if os.name == "posix":
            # Become the server: SIGTERM/SIGINT reach it directly and its exit status is ours.
            os.chdir(ROOT)
            os.execv(argv[0], argv)
        return subprocess.call(argv, cwd=ROOT)
    # pytest exits 5 when it collected nothing: that is a failure too.
    return subprocess.call([str(_bin("python")), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
