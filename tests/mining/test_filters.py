"""Filters over mined pairs, on hand-made lists: each drops what it names and the first filter to drop a pair
is its reason; language identification drops confident other-language sides only."""
import numpy as np

from ems_mine.mining import filters
from ems_mine.mining.lid import identify, known_languages, wrong_language


def test_each_filter_on_hand_made_pairs():
    src = ["Guten Morgen", "  ", "Hallo, Welt!", "Ein sehr langer Satz mit vielen Wörtern", "Danke", "Danke"]
    tgt = ["Good morning", "x", "hallo welt", "Short", "Thanks", "Thanks"]
    np.testing.assert_array_equal(filters.empty(src, tgt), [0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(filters.copies(src, tgt), [0, 0, 1, 0, 0, 0])      # case and punctuation ignored
    np.testing.assert_array_equal(filters.length_ratio(src, tgt, 3.0), [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(filters.repeated(src, tgt, np.zeros(6, bool)), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(filters.below_threshold(np.array([1.2, 1.0, 0.9]), 1.0), [0, 0, 1])
    np.testing.assert_array_equal(filters.above_max_score(np.array([1.2, 1.0, 0.9]), 1.1), [1, 0, 0])
    np.testing.assert_array_equal(filters.truncated(np.array([10, 96, 97]), 48), [0, 0, 1])


def test_apply_filters_counts_each_pair_under_its_first_reason():
    checks = [("a", lambda d: np.array([1, 1, 0, 0], bool)), ("b", lambda d: np.array([0, 1, 1, 0], bool))]
    keep, reason, counts = filters.apply_filters(checks, 4)
    assert keep.tolist() == [False, False, False, True] and reason == ["a", "a", "b", ""] and counts == {"a": 2, "b": 1}


def test_language_identification_drops_confident_other_languages_only():
    de = ["Der Bahnhof liegt zehn Minuten vom Stadtzentrum entfernt.", "Wir haben gestern Abend lange über Politik geredet."]
    en = ["The train station is ten minutes from the city centre.", "We talked about politics for a long time last night."]
    langs, probs = identify(de + en)
    assert langs == ["deu", "deu", "eng", "eng"] and probs.min() > 0.9
    np.testing.assert_array_equal(wrong_language(de + en, "deu", "eng"), [0, 0, 1, 1])
    assert "aym" not in known_languages()
    # a language the identifier does not know: only the other side's language is dropped
    aym = ["Jichhürun jach'a uruw utji.", "The train station is ten minutes from the city centre."]
    np.testing.assert_array_equal(wrong_language(aym, "aym", "eng"), [0, 1])
