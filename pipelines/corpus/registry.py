"""Downloads from the package registries: Debian packages (``apt-get download`` + ``dpkg-deb -x``) and npm
packages (``npm pack``), each unpacked once under ``downloads/`` with the exact version it had."""
from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path


class FetchError(RuntimeError):
    pass


def _run(cmd: list[str], cwd: Path) -> str:
    if shutil.which(cmd[0]) is None:
        raise FetchError(f"{cmd[0]} is not installed; it is needed to download {cmd[-1]}")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"{' '.join(cmd)} failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return proc.stdout


def _unpacked(downloads: Path, name: str) -> tuple[Path, str] | None:
    marker = downloads / name / ".version"
    return (downloads / name, marker.read_text().strip()) if marker.is_file() else None


def debian_packages(prefix: str) -> list[str]:
    """Names of the Debian packages whose name starts with ``prefix`` (``apt-cache search --names-only``)."""
    out = _run(["apt-cache", "search", "--names-only", "^" + prefix], Path("."))
    names = (line.split(" - ")[0] for line in out.splitlines() if line.strip())
    found = sorted(n for n in names if n.startswith(prefix))  # apt also matches what a package provides
    if not found:
        raise FetchError(f"no Debian package named {prefix}*: the package lists are empty — run `apt-get update` first")
    return found


def debian(downloads: Path, package: str) -> tuple[Path, str]:
    """Unpack the Debian package ``package`` into ``downloads/<package>``; returns (folder, version)."""
    downloads = downloads.resolve()
    if done := _unpacked(downloads, package):
        return done
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        try:
            _run(["apt-get", "download", package], Path(tmp))
        except FetchError as e:
            raise FetchError(f"{e} (if the package lists are empty, run `apt-get update` first)") from None
        deb = next(Path(tmp).glob("*.deb"))
        version = _run(["dpkg-deb", "-f", str(deb), "Version"], Path(tmp)).strip()
        target = Path(tmp) / "root"
        _run(["dpkg-deb", "-x", str(deb), str(target)], Path(tmp))
        (target / ".version").write_text(version)
        shutil.rmtree(downloads / package, ignore_errors=True)
        target.rename(downloads / package)
    return downloads / package, version


def npm(downloads: Path, package: str, version: str) -> tuple[Path, str]:
    """Unpack the npm package ``package@version`` into ``downloads/<package>``; returns (folder, version)."""
    downloads = downloads.resolve()
    if done := _unpacked(downloads, package):
        return done
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        out = _run(["npm", "pack", f"{package}@{version}", "--json"], Path(tmp))
        info = json.loads(out)[0]
        target = Path(tmp) / "root"
        with tarfile.open(Path(tmp) / info["filename"]) as tar:
            tar.extractall(target, filter="data")
        (target / ".version").write_text(info["version"])
        shutil.rmtree(downloads / package, ignore_errors=True)
        target.rename(downloads / package)
    return downloads / package, info["version"]
