"""xSIM on FLORES-200 (LASER ``xsim.py``): margin-based alignment (ratio, k = 4) of each language
against English, both directions, as error rates."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..languages import normalize_lang


def flores_files(data_dir: str | Path) -> dict[str, Path]:
    """FLORES file stem (``deu_Latn``) → path, for ``<dir>/<lang>.dev`` or ``<dir>/flores-200-dev/<lang>.dev``."""
    root = Path(data_dir)
    files = sorted(root.glob("*.dev")) or sorted(root.glob("*/*.dev")) or sorted(root.glob("*.devtest")) \
        or sorted(root.glob("*/*.devtest"))
    if not files:
        raise UserError(f"{data_dir}: no FLORES files (<lang>_<Script>.dev) found")
    return {f.name.split(".")[0]: f for f in files}


def resolve_flores(code: str, files: dict[str, Path]) -> str:
    """A FLORES stem for ``code``: exact (``deu_Latn``) or by normalised language (``de``, ``deu``)."""
    if code in files:
        return code
    want = normalize_lang(code)
    matches = [stem for stem in files if _canon(stem) == want]
    if len(matches) != 1:
        raise UserError(f"language {code!r}: {'ambiguous in' if matches else 'not in'} the FLORES data "
                        f"({', '.join(matches) if matches else 'e.g. ' + ', '.join(list(files)[:5])}); name the file stem")
    return matches[0]


def _canon(stem: str) -> str | None:
    try:
        return normalize_lang(stem)
    except UserError:
        return None
