"""The search index: rank-1 retrieval equals an independent nearest-neighbour computation; CLI and Python give the
same hits; adding shards and languages; errors."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FLORES, read_lines

from ems_mine import Index
from ems_mine.cli import main
from ems_mine.errors import UserError


@pytest.fixture(scope="module")
def en_index(tmp_path_factory):
    """FLORES dev English (997 sentences) indexed with the bundled model."""
    d = tmp_path_factory.mktemp("ix")
    (d / "en.txt").write_text("\n".join(read_lines(FLORES / "eng_Latn.dev")) + "\n", encoding="utf-8")
    return Index.build(d / "en.txt", "en", d / "index")


def test_german_queries_find_their_translation_as_often_as_exact_nearest_neighbour(en_index):
    de, en = read_lines(FLORES / "deu_Latn.dev"), read_lines(FLORES / "eng_Latn.dev")
    hits = en_index.search(de, lang="de", k=1)
    found = np.mean([int(h[0]["id"]) == i + 1 for i, h in enumerate(hits)])      # text ids are 1-based line numbers
    enc = en_index.encoder
    x, y = enc.encode(de, normalize_embeddings=True), enc.encode(en, normalize_embeddings=True)
    exact = np.mean((x @ y.T).argmax(1) == np.arange(len(de)))
    assert abs(found - exact) <= 0.005 and found > 0.5
    assert all(h[0]["lang"] == "eng" and h[0]["text"] == en[int(h[0]["id"]) - 1] for h in hits[:50])


def test_cli_and_python_give_the_same_hits(en_index, tmp_path):
    q = "Der Spieler des Tages ist Alex Ovechkin von den Washington Capitals."
    py = en_index.search(q, lang="de", k=5)
    assert [h["score"] for h in py] == sorted((h["score"] for h in py), reverse=True) and len(py) == 5
    r = CliRunner().invoke(main, ["search", str(en_index.path), q, "--lang", "de", "-k", "5", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["hits"] == py
    (tmp_path / "q.txt").write_text(f"{q}\nGuten Morgen\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["search", str(en_index.path), "--queries", str(tmp_path / "q.txt"), "-k", "5"])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.exit_code == 0 and len(lines) == 2 and lines[0]["hits"] == py


def test_add_shards_and_languages_then_reload(tmp_path):
    (tmp_path / "en.txt").write_text("\n".join(read_lines(FLORES / "eng_Latn.dev")[:300]) + "\n", encoding="utf-8")
    (tmp_path / "fr.txt").write_text("\n".join(read_lines(FLORES / "fra_Latn.dev")[300:600]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["index", "build", str(tmp_path / "en.txt"), "--lang", "en", "-o", str(tmp_path / "ix"), "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["index", "add", str(tmp_path / "ix"), str(tmp_path / "fr.txt"), "--lang", "fr", "-q"])
    assert r.exit_code == 0, r.output
    ix = Index.load(tmp_path / "ix")
    assert len(ix) == 600 and ix.languages == ["eng", "fra"]
    de = read_lines(FLORES / "deu_Latn.dev")
    top = ix.search([de[10], de[400]], lang="de", k=1)
    assert (top[0][0]["lang"], top[0][0]["id"]) == ("eng", "11") and (top[1][0]["lang"], top[1][0]["id"]) == ("fra", "101")
    manifest = json.loads((tmp_path / "ix/manifest.json").read_text())
    assert manifest["count"] == 600 and [s["lang"] for s in manifest["shards"]] == ["eng", "fra"]
    r = CliRunner().invoke(main, ["index", "add", str(tmp_path / "ix"), str(tmp_path / "fr.txt"), "--lang", "fr"])
    assert r.exit_code == 2 and "in the index already" in r.stderr


def test_ivfpq_index_recall_and_errors(tmp_path, en_index, tiny_encoder):
    lines = read_lines(FLORES / "eng_Latn.dev") + read_lines(FLORES / "fra_Latn.dev") + read_lines(FLORES / "spa_Latn.dev")
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    flat = Index.build(tmp_path / "c.txt", "en", tmp_path / "flat")
    pq_ = Index.build(tmp_path / "c.txt", "en", tmp_path / "pq", index="ivfpq")
    qs = read_lines(FLORES / "deu_Latn.dev")[:200]
    a, b = flat.search(qs, k=10), pq_.search(qs, k=10)
    recall = np.mean([len({h["id"] for h in x} & {h["id"] for h in y}) / 10 for x, y in zip(a, b)])
    assert recall > 0.5 and json.loads((tmp_path / "pq/manifest.json").read_text())["index"]["factory"].startswith("IVF")
    with pytest.raises(UserError, match="query model is"):
        Index.load(tmp_path / "flat", encoder=tiny_encoder)
    with pytest.raises(UserError, match="k=0"):
        flat.search("x", k=0)
    with pytest.raises(UserError, match="not an index directory"):
        Index.load(tmp_path)
    with pytest.raises(UserError, match="output exists"):
        Index.build(tmp_path / "c.txt", "en", tmp_path / "flat")
