"""The BPE vocabulary of DigitCaptions' captions, shipped with the package, so that a CLIP
text tower tokenizes them on a machine that has no copy of CLIP's 49,408-token file.

`caption_bpe.txt.gz` (beside this module, in the format of CLIP's `bpe_simple_vocab_16e6`)
holds the merges that `learn_bpe_merges` learns from the captions of DigitCaptions' train
split: byte-pair merges (Sennrich et al., 2016) of the byte-level symbols, most frequent pair
first, until every word of the captions is one symbol. With them a caption is one id per
word ("a small 3 to the left of a large 7" is 10 ids between <start_of_text> and
<end_of_text>), where the bare byte-level vocabulary needs one per character; text outside
the captions still tokenizes, byte by byte. `write_merges` writes the file again.
"""
import gzip
import os
from collections import Counter

from ..data.datasets.digit_captions import DigitCaptions
from .clip_tokenizer import (SPECIAL_TOKENS, SimpleTokenizer, _pre_tokenizer, bytes_to_unicode,
                             clean_text)

__all__ = ["CAPTION_BPE_PATH", "CAPTION_CONTEXT_LENGTH", "caption_tokenizer",
           "learn_bpe_merges", "write_merges"]

CAPTION_BPE_PATH = os.path.join(os.path.dirname(__file__), "caption_bpe.txt.gz")
CAPTION_CONTEXT_LENGTH = 24     # the longest caption is 22 ids with its two special tokens
HEADER = "#version: 0.2 - merges learned from DigitCaptions' train captions"


def _words(texts):
    """Counter of the texts' pre-tokens, each as a tuple of byte symbols, "</w>" on the last."""
    pattern, encoder = _pre_tokenizer(SPECIAL_TOKENS), bytes_to_unicode()
    words = Counter()
    for text in texts:
        for piece in pattern.findall(clean_text(text)):
            symbols = [encoder[b] for b in piece.encode("utf-8")]
            words[(*symbols[:-1], symbols[-1] + "</w>")] += 1
    return words


def _merge(word, pair):
    merged, i = [], 0
    while i < len(word):
        if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
            merged.append(word[i] + word[i + 1])
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def learn_bpe_merges(texts, max_merges=None):
    """The BPE merges of `texts`, a list of (left, right) symbol pairs: repeatedly the most
    frequent adjacent pair over all words (ties: the smaller pair), until every word is one
    symbol or `max_merges` merges are made."""
    words = _words(texts)
    merges = []
    while max_merges is None or len(merges) < max_merges:
        pairs = Counter()
        for word, count in words.items():
            for pair in zip(word[:-1], word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        words = Counter({_merge(word, best): count for word, count in words.items()})
    return merges


def caption_merges():
    """The merges learned from the captions of DigitCaptions' train split."""
    data = DigitCaptions("train")
    return learn_bpe_merges([data.caption(i) for i in range(len(data))])


def write_merges(path=CAPTION_BPE_PATH):
    """Write `caption_merges()` to `path` in CLIP's vocabulary format (gzip, header line)."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join([HEADER, *(f"{a} {b}" for a, b in caption_merges())]) + "\n")
    return path


def caption_tokenizer(context_length=CAPTION_CONTEXT_LENGTH):
    """CLIP's SimpleTokenizer over the shipped caption vocabulary."""
    return SimpleTokenizer(CAPTION_BPE_PATH, context_length=context_length)
