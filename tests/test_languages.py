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


def test_check_lang_warns_once_for_a_language_outside_the_model_and_rejects_non_codes():
    import warnings

    from ems_mine.languages import check_lang

    assert check_lang("de", ("deu", "eng")) == "deu"
    with pytest.warns(UserWarning, match="'yi' \\(yid\\) is not among the model's training languages"):
        assert check_lang("yi", ("deu", "eng")) == "yid"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_lang("yid", ("deu", "eng")) == "yid"     # the same language again: no second warning
    with pytest.raises(UserError, match="unknown language code"):
        check_lang("qq-bad", ("eng", "deu"))
