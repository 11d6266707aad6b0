"""Language codes, normalised in one place.

Users may write ISO 639-1 (``de``), ISO 639-3 (``deu``, ``cmn``), FLORES-style tags with a script
(``deu_Latn``, ``zho_Hant``) or BCP-47 (``zh-Hant``). Every code is mapped to one canonical form:
the ISO 639-3 code of the (macro)language, plus ``_Script`` only when the script is given and is not
the language's usual one. So ``de``, ``deu`` and ``deu_Latn`` are all ``deu``; ``cmn``, ``zh`` and
``zho_Hans`` are ``zho``; ``zho_Hant`` stays ``zho_Hant``.
"""
from __future__ import annotations

from functools import lru_cache

from .errors import UserError


@lru_cache(maxsize=4096)
def normalize_lang(code: str) -> str:
    """Canonical code for ``code``; raises ``UserError`` if it is not a language code at all."""
    import langcodes

    raw = code.strip().replace("_", "-")
    try:
        tag = langcodes.standardize_tag(raw, macro=True)
        lang = langcodes.Language.get(tag)
        valid = lang.language is not None and lang.is_valid() and langcodes.tag_is_valid(raw)
        alpha3 = lang.to_alpha3() if valid else None
    except (ValueError, LookupError):
        valid, alpha3 = False, None
    if not valid or alpha3 is None:
        raise UserError(f"unknown language code {code!r}: use an ISO 639-1/639-3 code such as 'de', 'deu' or 'zho_Hant'")
    if lang.script and lang.script != langcodes.Language.get(lang.language).maximize().script:
        return f"{alpha3}_{lang.script}"
    return alpha3


def resolve_lang(code: str, known: tuple[str, ...] | list[str]) -> str:
    """Normalise ``code`` and check it is one of ``known`` (canonical codes); the error lists them."""
    try:
        canon = normalize_lang(code)
    except UserError:
        canon = None
    if canon not in known:
        if canon is not None and "_" in canon and canon.split("_")[0] in known:
            return canon.split("_")[0]
        listing = ", ".join(sorted(known))
        raise UserError(f"unknown language code {code!r} for this model; known: {listing}")
    return canon


_warned: set[tuple[str, tuple[str, ...]]] = set()


def check_lang(code: str, known: tuple[str, ...] | list[str]) -> str:
    """Normalise ``code`` for encoding: a code that is no language is an error; a language the model was not
    trained on is accepted (the sentence embedding does not depend on the code) with one warning naming it."""
    canon = normalize_lang(code)
    if canon in known or ("_" in canon and canon.split("_")[0] in known):
        return canon if canon in known else canon.split("_")[0]
    key = (canon, tuple(known))
    if key not in _warned:
        _warned.add(key)
        import warnings

        warnings.warn(f"language {code!r} ({canon}) is not among the model's training languages; "
                      "its sentences are embedded all the same, with lower quality to expect", stacklevel=3)
    return canon
