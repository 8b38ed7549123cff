"""classbench.text: tokenizer, vocabulary, padding, decoding, bigrams, n-gram counts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from classbench.errors import UserError
from classbench.text import (
    PAD,
    START,
    UNK,
    NgramCounter,
    TextVectorizer,
    check_texts,
    clean,
    pad_sequences,
    tokenize,
)


def test_tokenize_html_case_punctuation():
    assert tokenize("Great film!<br /><br />I'd SEE it again... 10/10") == [
        "great", "film", "!", "i'd", "see", "it", "again", ".", ".", ".", "10", "/", "10"]
    assert tokenize('<i>Not</i> "bad" &amp; fun') == ["not", '"', "bad", '"', "&", "fun"]
    assert tokenize("") == [] and tokenize("<br />") == []
    assert clean("A<br/>B") == "a b"


def test_vocabulary_top_k_reserved_ids_and_ties():
    texts = ["b a a c", "a b d", "c e"]  # a:3, b:2, c:2, d:1, e:1
    vec = TextVectorizer(max_words=6, maxlen=8).fit(texts)
    assert vec.words == ["<pad>", "<start>", "<unk>", "a", "b", "c"]  # ties (b, c) alphabetical; d, e dropped
    assert (PAD, START, UNK) == (0, 1, 2) and vec.vocab_size == 6
    out = vec.transform(["a e b", "z"])
    assert out.dtype == np.int32 and out.shape == (2, 8)
    np.testing.assert_array_equal(out[0], [START, 3, UNK, 4, 0, 0, 0, 0])
    np.testing.assert_array_equal(out[1], [START, UNK, 0, 0, 0, 0, 0, 0])
    assert vec.decode(out[0]) == "<start> a <unk> b"


def test_vocabulary_comes_from_fit_texts_only():
    vec = TextVectorizer(max_words=100, maxlen=5).fit(["only these words"])
    assert set(vec.index) == {"only", "these", "words"}
    assert vec.transform(["unseen words"])[0].tolist() == [START, UNK, vec.index["words"], 0, 0]


def test_post_truncation_and_no_start():
    vec = TextVectorizer(max_words=50, maxlen=4, start=False).fit(["a b c d e f"])
    np.testing.assert_array_equal(vec.transform(["a b c d e f"])[0], [vec.index[w] for w in "abcd"])
    assert vec.decode(vec.transform(["a b c d e f"])[0]) == "a b c d"


def test_pre_truncation_keeps_the_end():
    vec = TextVectorizer(max_words=50, maxlen=4, truncating="pre").fit(["a b c d e f"])
    assert vec.decode(vec.transform(["a b c d e f"])[0]) == "<start> d e f"
    assert vec.decode(vec.transform(["a b"])[0]) == "<start> a b"
    bi = TextVectorizer(max_words=50, maxlen=3, ngrams=2, truncating="pre").fit(["a b c d", "a b c d"])
    row = bi.transform(["a b c d"])[0]
    assert bi.decode(row) == "<start> c d" and [bi.bigram(i) for i in row[3:]] == ["a b", "b c", "c d"]
    with pytest.raises(UserError, match="truncating"):
        TextVectorizer(truncating="middle")


def test_pad_sequences():
    out = pad_sequences([[5, 6, 7], [], [1, 2, 3, 4, 5]], maxlen=4)
    np.testing.assert_array_equal(out, [[5, 6, 7, 0], [0, 0, 0, 0], [1, 2, 3, 4]])


def test_bigram_block():
    texts = ["good movie good movie", "bad movie", "good movie"]
    vec = TextVectorizer(max_words=20, maxlen=6, ngrams=2, max_ngrams=10).fit(texts)
    out = vec.transform(["good movie bad movie"])
    assert out.shape == (1, 12) and vec.width == 12
    words, bigrams = out[0, :6], out[0, 6:]
    assert vec.decode(words) == "<start> good movie bad movie"
    # "good movie" appears in 2 texts (3 times), the only bigram seen twice; others are dropped (count < 2)
    assert [vec.bigram(i) for i in bigrams if i] == ["good movie"]
    assert bigrams[0] == vec.max_words and vec.vocab_size == vec.max_words + 1


def test_check_texts_errors():
    with pytest.raises(UserError, match="single string"):
        check_texts("one text", "m")
    with pytest.raises(UserError, match="1-d"):
        check_texts(np.zeros((3, 4)), "m")
    with pytest.raises(UserError, match=r"X\[1\] is a float"):
        check_texts(np.array(["a", 1.5], dtype=object), "m")


@pytest.mark.parametrize("binary", [False, True])
def test_ngram_counter_matches_a_plain_count(binary):
    texts = ["a b a b c", "c c a", "b a", "d"]
    nc = NgramCounter(ngram_max=2, min_df=1, binary=binary)
    m = nc.fit_transform(texts).toarray()
    vocab = sorted({g for t in texts for g in _grams(tokenize(t))})
    assert nc.n_features == len(vocab)
    expect = np.zeros((len(texts), len(vocab)), np.float32)
    for i, t in enumerate(texts):
        for g, c in Counter(_grams(tokenize(t))).items():
            expect[i, vocab.index(g)] = 1 if binary else c
    # the column order is the counter's own; compare as multisets of columns
    assert sorted(map(tuple, m.T)) == sorted(map(tuple, expect.T))
    assert m.sum() == expect.sum()


def test_ngram_counter_min_df_trigrams_unknown_words():
    texts = ["a b c", "a b c d", "x y"]
    nc = NgramCounter(ngram_max=3, min_df=2).fit(texts)
    assert nc.n_features == 6  # a, b, c, "a b", "b c", "a b c"
    assert nc.transform(["a b c", "q a q"]).toarray().sum(axis=1).tolist() == [6, 1]
    capped = NgramCounter(ngram_max=1, max_features=2).fit(["a a b", "a b c", "a d"])
    assert capped.n_features == 2 and capped.transform(["a b c d"]).toarray().sum() == 2


def _grams(tokens):
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
