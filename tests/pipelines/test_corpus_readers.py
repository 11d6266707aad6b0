"""pipelines/corpus: cleaning of interface strings and one reader per source, on real shared data where it is
local and on tiny packages built here for the registry sources (Debian / npm layouts)."""
from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pipelines"))
from conftest import SHARED  # noqa: E402
from corpus import cldr, clean, firefox, gatitos, libreoffice, mediawiki, tico19, wikipedia_android, xsid  # noqa: E402

DATA = SHARED / "data"


def quads(pairs):
    """(src_lang, src, tgt_lang, tgt) of each Pair, the sub-source left out."""
    return [tuple(p[:4]) for p in pairs]


@pytest.mark.parametrize("raw, kw, want", [
    ("Delete $1 {{PLURAL:$1|page|pages}}?", {"wiki": True}, "Delete pages?"),
    ("See [[Special:Log|the log]] and [https://example.org the site]", {"wiki": True}, "See the log and the site"),
    ("'''Warning:''' {{SITENAME}} is read-only", {"wiki": True}, "Warning: is read-only"),
    ("Saved %1$s of %2$d files", {}, "Saved of files"),
    ("100%% of %,d edits", {}, "100% of edits"),
    ("Open { $count } tabs in {name}", {}, "Open tabs in"),
    ("Copy <b>all</b> &amp; paste", {}, "Copy all & paste"),
    ("&File", {"access": "&"}, "File"),
    ("Save &As…", {"access": "&"}, "Save As…"),
    ("Rock &amp; roll", {"access": "&"}, "Rock & roll"),
    ("_Tools", {"access": "_~"}, "Tools"),
    ("~Format", {"access": "_~"}, "Format"),
    ("ファイル(&F)", {"access": "&"}, "ファイル"),
    ("snake_case_name stays", {"access": "_"}, "snake_case_name stays"),
    ("%PRODUCTNAME Writer and $(ARG1) at %1", {}, "Writer and at"),
    ("你 好 世界", {}, "你好世界"),
])
def test_clean_ui(raw, kw, want):
    assert clean.clean_ui(raw, **kw) == want


def test_has_words():
    assert clean.has_words("ok") and clean.has_words("是的")
    assert not clean.has_words("x") and not clean.has_words("12:30 — %") and not clean.has_words("")


def test_gatitos_tico19_xsid_android_read_real_files():
    ga = list(gatitos.pairs(DATA))
    assert ("ace", "saboh", "eng", "a") in quads(ga) and len({p.src_lang for p in ga}) > 150
    # TICO-19: one file per language although some have both .tmx and .tmx.zip
    files = tico19.files(DATA / "train/tico19")
    assert files["fr"].name == "all.en-fr.tmx" and "fa" in files and not any(k.endswith(".old") for k in files)
    fr = [p for p in tico19.pairs(DATA) if p.src_lang == "fr"]
    assert len(fr) == 3071 and all(p.tgt_lang == "eng" for p in fr)
    de = [p for p in xsid.pairs(DATA) if p.src_lang == "de"]
    assert ("de", "Regnet es heute?", "eng", "Is it going to rain today?") in quads(de)
    assert wikipedia_android.locale("values-pt-rBR") == "pt-BR"
    assert wikipedia_android.locale("values-b+sr+Latn") == "sr-Latn"
    assert wikipedia_android.locale("values-iw") == "he"
    wa = [p for p in wikipedia_android.pairs(DATA) if p.src_lang == "de"]
    assert ("de", "Wikipedia durchsuchen", "eng", "Search Wikipedia") in quads(wa)
    assert not any(re.search(r"%[\d$,sd]|\\'", p.src) for p in wa)   # no placeholders or escapes left


def test_mediawiki_reader_pairs_by_key_and_strips_syntax(tmp_path):
    root = tmp_path / mediawiki.PACKAGE / mediawiki.I18N
    root.mkdir(parents=True)
    (root / "en.json").write_text(json.dumps({"@metadata": {}, "a": "$1 {{PLURAL:$1|edit|edits}}", "b": "Save page", "c": "x"}))
    (root / "de.json").write_text(json.dumps({"@metadata": {"authors": []}, "a": "$1 {{PLURAL:$1|Bearbeitung|Bearbeitungen}}",
                                              "b": "Seite speichern", "d": "only German"}))
    (root / "qqq.json").write_text(json.dumps({"a": "documentation", "b": "documentation"}))
    got = sorted(quads(mediawiki.pairs(DATA, tmp_path)))
    assert got == [("de", "Bearbeitungen", "eng", "edits"), ("de", "Seite speichern", "eng", "Save page")]


def _xpi(path: Path, loc: str, files: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", json.dumps({"langpack_id": loc}))
        for name, text in files.items():
            z.writestr(name.replace("@", loc), text)


def test_firefox_reader_pairs_fluent_and_properties_without_access_keys(tmp_path):
    ftl_en = ("update-button =\n    .label = Restart to update { -brand-short-name }\n    .accesskey = R\n"
              "tabs = { $count ->\n    [one] One tab\n   *[other] { $count } tabs\n}\n")
    ftl_de = ("update-button =\n    .label = { -brand-short-name } neu starten\n    .accesskey = N\n"
              "tabs = { $count ->\n    [one] Ein Tab\n   *[other] { $count } Tabs\n}\n")
    ext = "usr/lib/firefox-esr/browser/extensions"
    _xpi(tmp_path / firefox.ENGLISH / ext / "langpack-en-GB@firefox-esr.mozilla.org.xpi", "en-GB",
         {"browser/localization/@/app.ftl": ftl_en, "chrome/@/locale/@/x.properties": "k = Open %S in &New Window\nm = a;b\n"})
    _xpi(tmp_path / (firefox.PREFIX + "de") / ext / "langpack-de@firefox-esr.mozilla.org.xpi", "de",
         {"browser/localization/@/app.ftl": ftl_de, "chrome/@/locale/@/x.properties": "k = %S in &neuem Fenster öffnen\nm = c;d\n"})
    got = sorted(quads(firefox.pairs(DATA, tmp_path)))
    assert got == [("de", "Firefox neu starten", "eng", "Restart to update Firefox"),
                   ("de", "Tabs", "eng", "tabs"), ("de", "d", "eng", "b"),
                   ("de", "in neuem Fenster öffnen", "eng", "Open in New Window")]


def test_libreoffice_reader_reads_mo_files(tmp_path):
    polib = pytest.importorskip("polib")
    mo_dir = tmp_path / (libreoffice.PREFIX + "de") / libreoffice.RESOURCES / "de/LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    po = polib.POFile()
    po.append(polib.POEntry(msgctxt="menu|file", msgid="~Save As...", msgstr="Speichern ~unter..."))
    po.append(polib.POEntry(msgid="_Tools", msgstr="_Extras"))
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="%1 page", msgid_plural="%1 pages", msgstr_plural={0: "%1 Seite", 1: "%1 Seiten"}))
    po.save_as_mofile(str(mo_dir / "sw.mo"))
    got = sorted(quads(libreoffice.pairs(DATA, tmp_path)))
    assert got == [("de", "Extras", "eng", "Tools"), ("de", "Seiten", "eng", "pages"),
                   ("de", "Speichern unter...", "eng", "Save As...")]


def test_cldr_reader_pairs_names_dates_and_emoji(tmp_path):
    def put(pkg, kind, loc, name, body):
        f = tmp_path / pkg / "package" / kind / loc / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps({"main": {loc: body}} if kind == "main" else {"annotations": body}))

    for loc, names, month, emoji in (("en", {"de": "German", "fr": "French"}, "January", ["grinning face"]),
                                     ("de", {"de": "Deutsch", "fr": "Französisch"}, "Januar", ["grinsendes Gesicht"]),
                                     ("de-AT", {"de": "Deutsch"}, "Jänner", ["x"])):
        put("cldr-localenames-full", "main", loc, "languages.json", {"localeDisplayNames": {"languages": names}})
        put("cldr-dates-full", "main", loc, "ca-gregorian.json",
            {"dates": {"calendars": {"gregorian": {"months": {"format": {"wide": {"1": month}, "abbreviated": {"1": "J"}}}}}}})
        put("cldr-annotations-full", "annotations", loc, "annotations.json", {"annotations": {"😀": {"tts": emoji}}})
    got = sorted(quads(cldr.pairs(DATA, tmp_path)))
    assert got == [("de", "Deutsch", "eng", "German"), ("de", "Französisch", "eng", "French"),
                   ("de", "Januar", "eng", "January"), ("de", "grinsendes Gesicht", "eng", "grinning face")]
