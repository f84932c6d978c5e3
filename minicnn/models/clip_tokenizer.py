"""CLIP's byte-level BPE tokenizer (Radford et al., 2021; Sennrich et al., 2016, byte-level as in
GPT-2), as open_clip's `SimpleTokenizer` / `open_clip.tokenize`.

    text → html-unescape, NFC, whitespace collapsed, lower-cased
         → pre-tokens: <start_of_text> | <end_of_text> | 's 't 're 've 'm 'll 'd | letters+ |
           one digit | other non-space symbols+
         → UTF-8 bytes, each shown as a printable character (bytes_to_unicode)
         → BPE merges by rank, the last symbol of each pre-token marked with "</w>"
         → ids: 256 byte symbols, their 256 "</w>" forms, one symbol per merge,
           <start_of_text>, <end_of_text> (49,408 with CLIP's 48,894 merges)

The merges come from a vocabulary file given by path, in the format of CLIP's published
`bpe_simple_vocab_16e6.txt.gz`: gzip text, a header line, then one "a b" merge per line.

Differences from open_clip: its text cleaning starts with `ftfy.fix_text` (mojibake repair,
curly quotes to straight ones, ligature and full-width folding, ...), a dependency minicnn does
not take; here only ftfy's final NFC normalisation is applied, so text that ftfy would change
in other ways may tokenize differently. CLIP's pre-tokenizer uses the `regex` package's \\p{L}
and \\p{N}; the same classes are built here from `unicodedata` for Python's `re`.
"""
import gzip
import html
import importlib.util
import os
import re
import sys
import unicodedata
from functools import lru_cache

import numpy as np

from ..creation import tensor

__all__ = ["SimpleTokenizer", "bytes_to_unicode", "default_bpe_path"]

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
CLIP_MERGES = 49152 - 256 - 2  # merges CLIP uses from its file: vocabulary of 49,408
SPECIAL_TOKENS = ("<start_of_text>", "<end_of_text>")


@lru_cache()
def bytes_to_unicode():
    """{byte: character}: printable Latin-1 bytes map to themselves, the other 68 bytes
    (controls, space, ...) to U+0100 onwards, so that every byte is a visible symbol. The
    order (printable bytes first) is the order of the first 256 vocabulary ids."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    extra = [b for b in range(256) if b not in printable]
    table = {b: chr(b) for b in printable}
    table.update({b: chr(256 + i) for i, b in enumerate(extra)})
    return table


def _character_class(categories):
    """A `re` character class body of every code point whose Unicode category starts with
    one of `categories` (e.g. "L" for \\p{L}), as \\U ranges."""
    ranges, start, previous = [], None, None
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] in categories:
            if start is None:
                start = code
            previous = code
        elif start is not None:
            ranges.append((start, previous))
            start = None
    if start is not None:
        ranges.append((start, previous))
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


@lru_cache()
def _pre_tokenizer(special_tokens):
    """CLIP's pattern: specials | contractions | [\\p{L}]+ | [\\p{N}] | [^\\s\\p{L}\\p{N}]+."""
    letters, numbers = _character_class("L"), _character_class("N")
    specials = "|".join(re.escape(t) for t in special_tokens)
    return re.compile(f"{specials}|'s|'t|'re|'ve|'m|'ll|'d|[{letters}]+|[{numbers}]"
                      f"|[^\\s{letters}{numbers}]+", re.IGNORECASE)


def clean_text(text):
    """html-unescaped (twice, as CLIP), NFC, whitespace runs as one space, stripped, lower."""
    text = unicodedata.normalize("NFC", html.unescape(html.unescape(text)))
    return " ".join(text.split()).lower()


def default_bpe_path():
    """CLIP's vocabulary file as installed with open_clip or OpenAI's `clip` package (located
    without importing them), or None."""
    for package in ("open_clip", "clip"):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin:
            path = os.path.join(os.path.dirname(spec.origin), VOCAB_FILE)
            if os.path.isfile(path):
                return path
    return None


def _pairs(word):
    return set(zip(word[:-1], word[1:]))


class SimpleTokenizer:
    """SimpleTokenizer(bpe_path=None, context_length=77, max_merges=48894).

    `bpe_path`: a vocabulary file in CLIP's format (None: the copy installed with open_clip or
    clip, if any). The first `max_merges` merges are used. encode(text) -> ids, decode(ids) ->
    text ("</w>" read as a space), tokenizer(texts, context_length) -> (N, context_length)
    int64 Tensor: <start_of_text>, ids, <end_of_text>, zero padding; a text too long is cut
    to context_length with <end_of_text> kept as the last id.
    """

    def __init__(self, bpe_path=None, context_length=77, max_merges=CLIP_MERGES):
        if bpe_path is None:
            bpe_path = default_bpe_path()
            if bpe_path is None:
                raise ValueError(f"SimpleTokenizer: bpe_path=None and no installed copy of "
                                 f"CLIP's {VOCAB_FILE} was found; pass its path")
        if not os.path.isfile(bpe_path):
            raise ValueError(f"SimpleTokenizer: bpe_path {bpe_path!r} is not a file")
        _check_length("SimpleTokenizer", context_length)
        with gzip.open(bpe_path, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]                   # the first line is a header
        merges = [tuple(line.split()) for line in lines if line.strip()][:max_merges]
        bad = next((m for m in merges if len(m) != 2), None)
        if bad is not None:
            raise ValueError(f"SimpleTokenizer: {bpe_path!r} has a merge line {' '.join(bad)!r} "
                             f"that is not two symbols")
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        symbols = list(self.byte_encoder.values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += SPECIAL_TOKENS
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.decoder = dict(enumerate(vocab))
        self.bpe_ranks = {merge: rank for rank, merge in enumerate(merges)}
        self.cache = {t: t for t in SPECIAL_TOKENS}
        self.pattern = _pre_tokenizer(SPECIAL_TOKENS)
        self.vocab_size = len(vocab)
        self.sot_token_id, self.eot_token_id = (self.encoder[t] for t in SPECIAL_TOKENS)
        self.all_special_ids = [self.sot_token_id, self.eot_token_id]
        self.context_length = context_length

    def bpe(self, token):
        """The space-separated BPE symbols of one pre-token (already byte-mapped)."""
        if token in self.cache:
            return self.cache[token]
        word = (*token[:-1], token[-1] + "</w>")
        while len(word) > 1:
            best = min(_pairs(word), key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if best not in self.bpe_ranks:
                break
            merged, i = [], 0
            while i < len(word):                               # merge every occurrence of best
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text):
        """The ids of `text` (cleaned first), without <start_of_text>/<end_of_text>."""
        ids = []
        for piece in self.pattern.findall(clean_text(text)):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[symbol] for symbol in self.bpe(mapped).split(" "))
        return ids

    def decode(self, ids):
        """The text of `ids` (a list, array or Tensor); "</w>" becomes a space, invalid UTF-8
        the replacement character."""
        ids = np.asarray(ids.numpy() if hasattr(ids, "numpy") else ids).reshape(-1).tolist()
        unknown = next((i for i in ids if i not in self.decoder), None)
        if unknown is not None:
            raise ValueError(f"SimpleTokenizer.decode: id {unknown} is not in the vocabulary "
                             f"of {self.vocab_size}")
        text = "".join(self.decoder[i] for i in ids)
        data = bytearray(self.byte_decoder[c] for c in text)
        return data.decode("utf-8", errors="replace").replace("</w>", " ")

    def __call__(self, texts, context_length=None):
        """(N, context_length) int64 Tensor of ids for a string or a list of N strings."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        context_length = context_length or self.context_length
        _check_length("SimpleTokenizer", context_length)
        result = np.zeros((len(texts), context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.sot_token_id, *self.encode(text), self.eot_token_id]
            if len(ids) > context_length:
                ids = ids[:context_length]
                ids[-1] = self.eot_token_id
            result[row, :len(ids)] = ids
        return tensor(result)


def _check_length(op, context_length):
    if isinstance(context_length, bool) or not isinstance(context_length, int) \
            or context_length < 2:
        raise ValueError(f"{op}: context_length must be an integer >= 2 (room for "
                         f"<start_of_text> and <end_of_text>), got {context_length!r}")
