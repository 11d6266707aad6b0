"""Self-training rounds on real FLORES sentences: the files each round writes, the report, resuming, and the freeze that
keeps every language but the source exactly where it was."""
import json

import numpy as np
import pyarrow.parquet as pq
from conftest import FLORES, read_lines

from ems_mine.encoder import EMSEncoder
from ems_mine.selftrain import SelfTrainJob, run


def test_self_train_rounds_report_resume_and_freeze(tiny_model_dir, pairs_file, tmp_path):
    de, en = read_lines(FLORES / "deu_Latn.dev")[:300], read_lines(FLORES / "eng_Latn.dev")[:300]
    rng = np.random.default_rng(0)
    (tmp_path / "de.txt").write_text("\n".join(de) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(en[i] for i in rng.permutation(300)) + "\n", encoding="utf-8")
    (tmp_path / "dev.de").write_text("\n".join(read_lines(FLORES / "deu_Latn.dev")[300:400]) + "\n", encoding="utf-8")
    (tmp_path / "dev.en").write_text("\n".join(read_lines(FLORES / "eng_Latn.dev")[300:400]) + "\n", encoding="utf-8")
    job = SelfTrainJob("de", "en", str(tmp_path / "de.txt"), str(tmp_path / "en.txt"), str(tiny_model_dir),
                       str(tmp_path / "st"), rounds=2, seed_pairs=str(pairs_file), seed_ratio=2.0, steps=3,
                       threshold=1.0, dev=(str(tmp_path / "dev.de"), str(tmp_path / "dev.en")), quiet=True)
    report = run(job)
    assert [r["round"] for r in report["rounds"]] == [0, 1, 2]
    assert all(0.0 <= r["xsim_error"] <= 1.0 for r in report["rounds"])
    for n in (1, 2):
        rd = tmp_path / "st" / f"round-{n}"
        mined = pq.read_table(rd / "pairs.parquet")
        assert mined.num_rows == report["rounds"][n]["pairs"] > 0
        assert set(mined.column("src_lang").to_pylist()) == {"deu"} and min(mined.column("score").to_pylist()) >= 1.0
        assert (rd / "model" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "st" / "report.json").read_text()) == report
    assert "| 2 |" in (tmp_path / "st" / "report.md").read_text()

    # every weight but the embedding rows of pieces only German uses is the init model's
    old = EMSEncoder.from_pretrained(tiny_model_dir, device="cpu").model.state_dict()
    new = EMSEncoder.from_pretrained(tmp_path / "st/round-2/model", device="cpu").model.state_dict()
    kept = np.load(tmp_path / "st/round-2/model/frozen_rows.npy")
    for name, w in new.items():
        w0 = old[name].numpy()
        np.testing.assert_array_equal(w.numpy()[kept] if name == "tok_emb.weight" else w.numpy(),
                                      w0[kept] if name == "tok_emb.weight" else w0, err_msg=name)
    assert not np.array_equal(new["tok_emb.weight"].numpy(), old["tok_emb.weight"].numpy())   # German's rows trained
    # the same rows in every round: all but German pieces that no other language of the whole seed file uses
    np.testing.assert_array_equal(np.load(tmp_path / "st/round-1/model/frozen_rows.npy"), kept)
    np.testing.assert_array_equal(np.load(tmp_path / "st/frozen_rows.npy"), kept)
    tok = EMSEncoder.from_pretrained(tiny_model_dir, device="cpu").tokenizer
    seed = pq.read_table(pairs_file).to_pydict()
    others = [t for side in ("src", "tgt") for t, lang in zip(seed[side], seed[f"{side}_lang"]) if lang != "deu"]
    used = {i for ids in tok.windows(others).ids for i in ids}
    free = np.setdiff1d(np.arange(len(old["tok_emb.weight"])), kept)
    assert len(free) > 0 and not used & set(free.tolist())

    stamp = (tmp_path / "st/round-1/model/model.safetensors").stat().st_mtime_ns
    assert run(job) == report                                               # finished rounds are not run again
    assert (tmp_path / "st/round-1/model/model.safetensors").stat().st_mtime_ns == stamp
