import pytest

from ems_mine.errors import UserError
from ems_mine.languages import normalize_lang, resolve_lang


@pytest.mark.parametrize("code, canon", [
    ("de", "deu"), ("deu", "deu"), ("deu_Latn", "deu"), ("DE", "deu"), ("ger", "deu"),
    ("cmn", "zho"), ("zh", "zho"), ("zho_Hans", "zho"), ("zho_Hant", "zho_Hant"), ("zh-Hant", "zho_Hant"),
    ("arb", "ara"), ("swh", "swa"), ("en", "eng"), ("srp_Cyrl", "srp"), ("srp_Latn", "srp_Latn"),
])
def test_normalize(code, canon):
    assert normalize_lang(code) == canon


@pytest.mark.parametrize("bad", ["xx", "zzz", "english", "", "123"])
def test_unknown_code_is_an_error(bad):
    with pytest.raises(UserError, match="unknown language code"):
        normalize_lang(bad)


def test_resolve_lists_known_languages():
    assert resolve_lang("de", ("deu", "eng")) == "deu"
    assert resolve_lang("zho_Hans", ("zho", "eng")) == "zho"
    with pytest.raises(UserError, match="known: deu, eng"):
        resolve_lang("fr", ("eng", "deu"))
    with pytest.raises(UserError, match="known: deu, eng"):
        resolve_lang("qq-bad", ("eng", "deu"))
