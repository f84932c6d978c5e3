"""CLIP's byte-level BPE tokenizer on a tiny vocabulary written here: the byte table, known
merges and the "</w>" marker, pre-tokenization, cleaning, UTF-8 bytes, round trips, padding and
truncation, errors; and the same ids as open_clip.tokenize with CLIP's real vocabulary file
when open_clip imports."""
import gzip

import numpy as np
import pytest

import minicnn as mc
from minicnn.models import SimpleTokenizer
from minicnn.models import clip_tokenizer
from minicnn.models.clip_tokenizer import bytes_to_unicode, clean_text, default_bpe_path

TINY_MERGES = ["h e", "l l", "he ll", "hell o</w>", "t h", "th e</w>", "c a", "ca t</w>",
               "Ã ©</w>", "a a"]


def write_vocab(path, merges=TINY_MERGES):
    """A vocabulary file in CLIP's format: gzip text, a header line, "a b" merges."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(["#version: 0.2", *merges]) + "\n")
    return str(path)


@pytest.fixture
def tokenizer(tmp_path):
    return SimpleTokenizer(write_vocab(tmp_path / "vocab.txt.gz"))


def merge_id(merge):
    return 512 + TINY_MERGES.index(merge)


def byte_id(byte, end_of_word=False):
    return list(bytes_to_unicode()).index(byte) + (256 if end_of_word else 0)


def test_byte_table():
    table = bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert all(table[b] == chr(b) for b in range(ord("!"), ord("~") + 1))
    assert table[ord(" ")] == "Ġ" and table[0] == "Ā" and table[0xAD] == "Ń"
    assert all(not c.isspace() and c.isprintable() for c in table.values())
    assert list(table)[:3] == [ord("!"), ord('"'), ord("#")]  # printable bytes take ids 0…


def test_vocabulary_layout(tokenizer):
    assert tokenizer.vocab_size == 512 + len(TINY_MERGES) + 2
    assert (tokenizer.sot_token_id, tokenizer.eot_token_id) == (522, 523)
    assert tokenizer.encoder["!"] == 0 and tokenizer.encoder["!</w>"] == 256
    assert tokenizer.decoder[merge_id("ca t</w>")] == "cat</w>"


@pytest.mark.parametrize("text, ids", [
    ("hello", [merge_id("hell o</w>")]),
    ("the cat", [merge_id("th e</w>"), merge_id("ca t</w>")]),
    ("hell", [merge_id("h e"), byte_id(ord("l")), byte_id(ord("l"), True)]),  # "l l" ≠ "l l</w>"
    ("aaa", [merge_id("a a"), byte_id(ord("a"), True)]),                     # left to right
    ("é", [merge_id("Ã ©</w>")]),
    ("日", [byte_id(0xE6), byte_id(0x97), byte_id(0xA5, True)]),            # three UTF-8 bytes
    ("dog", [byte_id(ord("d")), byte_id(ord("o")), byte_id(ord("g"), True)]),
])
def test_known_merges(tokenizer, text, ids):
    assert tokenizer.encode(text) == ids


def test_merges_follow_rank_not_position(tmp_path):
    """With "b c" ranked above "a b", "abc" merges b c first and a stays alone."""
    ranked = SimpleTokenizer(write_vocab(tmp_path / "v.gz", ["b c</w>", "a b"]))
    assert [ranked.decoder[i] for i in ranked.encode("abc")] == ["a", "bc</w>"]
    reversed_ = SimpleTokenizer(write_vocab(tmp_path / "w.gz", ["a b", "b c</w>"]))
    assert [reversed_.decoder[i] for i in reversed_.encode("abc")] == ["ab", "c</w>"]


@pytest.mark.parametrize("text, pieces", [
    ("Don't stop 2024!!", ["don", "'t", "stop", "2", "0", "2", "4", "!!"]),
    ("we'll I'M you've", ["we", "'ll", "i", "'m", "you", "'ve"]),
    ("naïve日本語 ½x² €5", ["naïve日本語", "½", "x", "²", "€", "5"]),
    ("a-b_c <start_of_text>x", ["a", "-", "b", "_", "c", "<start_of_text>", "x"]),
    ("Ελληνικά, русский; عربى", ["ελληνικά", ",", "русский", ";", "عربى"]),
])
def test_pre_tokenizer(tokenizer, text, pieces):
    assert tokenizer.pattern.findall(clean_text(text)) == pieces


@pytest.mark.parametrize("text, cleaned", [
    ("  Hello \t\n  World  ", "hello world"),
    ("fish &amp; chips", "fish & chips"),
    ("&amp;lt;b&amp;gt;", "<b>"),                   # unescaped twice, as CLIP
    ("cafe\u0301", "caf\u00e9"),                      # NFC
])
def test_clean_text(text, cleaned):
    assert clean_text(text) == cleaned


@pytest.mark.parametrize("text", ["hello the cat", "café 日本 🐈 ok", "zebra\u00a0quilt",
                                  "x" * 50, "Mixed CASE words"])
def test_decode_round_trip(tokenizer, text):
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == " ".join(clean_text(text).split()) + " "
    assert tokenizer.decode(mc.tensor(np.array(ids))) == tokenizer.decode(ids)


def test_decode_of_partial_utf8_uses_the_replacement_character(tokenizer):
    assert tokenizer.decode([byte_id(0xE6)]) == "\ufffd"


def test_padding(tokenizer):
    tokens = tokenizer(["hello", "the cat"], context_length=6)
    assert isinstance(tokens, mc.Tensor) and tokens.dtype == np.int64 and tokens.shape == (2, 6)
    sot, eot = tokenizer.sot_token_id, tokenizer.eot_token_id
    np.testing.assert_array_equal(tokens.numpy(), [
        [sot, merge_id("hell o</w>"), eot, 0, 0, 0],
        [sot, merge_id("th e</w>"), merge_id("ca t</w>"), eot, 0, 0]])
    assert tokenizer("hello").shape == (1, 77)


@pytest.mark.parametrize("context_length", [2, 3, 4, 5])
def test_truncation_keeps_the_end_token(tokenizer, context_length):
    ids = tokenizer.encode("hello the cat dog")                  # 6 ids
    row = tokenizer("hello the cat dog", context_length=context_length).numpy()[0]
    expected = [tokenizer.sot_token_id, *ids][:context_length - 1] + [tokenizer.eot_token_id]
    np.testing.assert_array_equal(row, expected)


def test_context_length_default_follows_the_constructor(tmp_path):
    short = SimpleTokenizer(write_vocab(tmp_path / "v.gz"), context_length=5)
    assert short(["hello", "cat"]).shape == (2, 5)


def test_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="bpe_path .*missing.gz.* is not a file"):
        SimpleTokenizer(str(tmp_path / "missing.gz"))
    with pytest.raises(ValueError, match="merge line 'a b c' .*two symbols"):
        SimpleTokenizer(write_vocab(tmp_path / "bad.gz", ["a b", "a b c"]))
    path = write_vocab(tmp_path / "v.gz")
    for bad in (1, "77", 2.5):
        with pytest.raises(ValueError, match=f"context_length .*{bad!r}"):
            SimpleTokenizer(path, context_length=bad)
    with pytest.raises(ValueError, match="decode: id 9999 .*524"):
        SimpleTokenizer(path).decode([1, 9999])
    monkeypatch.setattr(clip_tokenizer, "default_bpe_path", lambda: None)
    with pytest.raises(ValueError, match="bpe_path=None"):
        SimpleTokenizer()


def test_max_merges_limits_the_vocabulary(tmp_path):
    limited = SimpleTokenizer(write_vocab(tmp_path / "v.gz"), max_merges=3)
    assert limited.vocab_size == 512 + 3 + 2
    assert [limited.decoder[i] for i in limited.encode("hello")] == ["hell", "o</w>"]


# ---- CLIP's real vocabulary, against open_clip -----------------------------------------------

PARITY_TEXTS = [
    "a photo of a cat", "A PHOTO OF A DOG.", "a bad photo of the {}", "", "   ",
    "itap of a goldfish", "a close-up photo of the tench", "the 2nd-best 3.14159 pies",
    "Hello, World!!!", "don't you'll we've I'M she'd they're", "e-mail: someone@example.com",
    "#hashtag @user http://example.org/path?q=1&x=2", "fish &amp; chips &lt;3",
    "naïve café résumé déjà vu", "Ελληνικά κείμενα και αριθμοί 123", "русский текст, ёж",
    "日本語のテキストです。", "中文字符测试", "한국어 텍스트", "عربى", "עברית",
    "emoji 🐈 👍🏽 🎉🎉", "½ ² ③ Ⅻ", "tabs\tand\nnewlines", "under_score and-hyphen",
    "x" * 300, "supercalifragilisticexpialidocious " * 10, "MiXeD CaSe WoRdS",
    "$100 ~ 50% off!!!", "(parentheses) [brackets] {braces}", "<start_of_text>", "C++ & C#",
]


@pytest.fixture(scope="module")
def real_vocab():
    open_clip = pytest.importorskip("open_clip")
    path = default_bpe_path()
    assert path is not None and path.endswith("bpe_simple_vocab_16e6.txt.gz")
    return open_clip, SimpleTokenizer(path)


def test_real_vocabulary_layout(real_vocab):
    _, tokenizer = real_vocab
    assert tokenizer.vocab_size == 49408
    assert (tokenizer.sot_token_id, tokenizer.eot_token_id) == (49406, 49407)


def test_same_ids_as_open_clip(real_vocab):
    open_clip, tokenizer = real_vocab
    ours = tokenizer(PARITY_TEXTS).numpy()
    theirs = open_clip.tokenize(PARITY_TEXTS).numpy()
    differ = [text for text, a, b in zip(PARITY_TEXTS, ours, theirs) if not np.array_equal(a, b)]
    assert not differ, differ
    for context_length in (5, 16):
        np.testing.assert_array_equal(tokenizer(PARITY_TEXTS, context_length).numpy(),
                                      open_clip.tokenize(PARITY_TEXTS, context_length).numpy())


def test_same_decoding_as_open_clip(real_vocab):
    open_clip, tokenizer = real_vocab
    reference = open_clip.tokenizer.SimpleTokenizer()
    for text in PARITY_TEXTS:
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == reference.decode(ids)
