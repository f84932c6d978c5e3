"""DigitCaptions: image–caption pairs drawn from the packaged MNIST digits, for CLIP recipes.

Every item is a size×size canvas holding one to three MNIST digits of varied size,
vertical position and stroke, side by side without overlapping in x, and a caption that
names the digits, their sizes and their left/right order ("a small 3 to the left of a
large 7"). The digits come from MNISTSample's own train or test split, so test captions
picture handwriting the train set never shows. An item is drawn from a generator seeded by
(seed, index): the same seed gives the same data, and items are drawn only when read.

`entities(i)` is the item's ontology — its digits, their sizes and strokes, and the
left-of relations — and `entity_sets` lists, per item, the digits it shows: the objects
TOnICSBatchSampler groups minibatches by.
"""
import numpy as np

from .base import VisionDataset
from .sample import MNISTSample

SIZES = {"small": (0.22, 0.30), "medium": (0.34, 0.42), "large": (0.46, 0.56)}
STROKES = ("thin", "regular", "thick")   # small digits are never thinned: they would fade
DEFAULT_LENGTH = {"train": 4000, "test": 1000}
TEMPLATES = {   # per digit count, wordings of the digits' phrases given left to right
    1: ("{0}", "a picture of {0}"),
    2: ("{0} to the left of {1}", "{1} to the right of {0}"),
    3: ("{0} to the left of {1}, which is to the left of {2}",
        "from left to right: {0}, {1} and {2}",
        "{2} to the right of {1}, which is to the right of {0}"),
}


def _crop(digit):
    """The digit's bounding box (its nonzero pixels)."""
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    return digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _resize(image, height, width):
    """Bilinear resize of a 2-D uint8 image to height×width (pixel centres aligned)."""
    rows = np.clip((np.arange(height) + 0.5) * image.shape[0] / height - 0.5, 0,
                   image.shape[0] - 1)
    cols = np.clip((np.arange(width) + 0.5) * image.shape[1] / width - 0.5, 0,
                   image.shape[1] - 1)
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    r1, c1 = np.minimum(r0 + 1, image.shape[0] - 1), np.minimum(c0 + 1, image.shape[1] - 1)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    img = image.astype(np.float32)
    top = img[r0][:, c0] * (1 - fc) + img[r0][:, c1] * fc
    bottom = img[r1][:, c0] * (1 - fc) + img[r1][:, c1] * fc
    return np.rint(top * (1 - fr) + bottom * fr).astype(np.uint8)


def _restroke(image, stroke):
    """A 2×2 grey dilation (thick) or erosion (thin) of the digit; regular leaves it. The
    window is 2×2 so that small digits keep their strokes when thinned."""
    if stroke == "regular":
        return image
    padded = np.pad(image, ((0, 1), (0, 1)))
    h, w = image.shape
    windows = [padded[dy:dy + h, dx:dx + w] for dy in range(2) for dx in range(2)]
    return np.max(windows, axis=0) if stroke == "thick" else np.min(windows, axis=0)


def _full_range(glyph):
    """The glyph stretched so that its brightest pixel is 255 (a thinned small digit stays
    as visible as the others)."""
    peak = int(glyph.max())
    if peak in (0, 255):
        return glyph
    return (glyph.astype(np.uint16) * 255 // peak).astype(np.uint8)


def _phrase(digit):
    return f"a {digit['size']} {digit['digit']}"


def caption_of(digits, template=0):
    """The caption of a layout (its digits left to right, as `entities` lists them) in one
    of the TEMPLATES wordings of its digit count."""
    phrases = [_phrase(d) for d in digits]
    return TEMPLATES[len(digits)][template].format(*phrases)


class DigitCaptions(VisionDataset):
    """DigitCaptions(split="train", size=64, seed=0, length=None, max_digits=3, transform=None,
    tokenizer=None, root=None).

    `dataset[i]` is `(image, caption)`: a size×size uint8 array (white digits on black) after
    `transform`, and the caption string, or `tokenizer([caption])[0]` when a tokenizer is
    given (e.g. `mc.models.SimpleTokenizer()`, CLIP's BPE). `length` items (default 4,000
    train, 1,000 test); `max_digits` (1 to 3) digits at most per canvas. `root` is passed to
    MNISTSample.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, split="train", size=64, seed=0, length=None, max_digits=3,
                 transform=None, tokenizer=None, root=None):
        if split not in DEFAULT_LENGTH:
            raise ValueError(f"DigitCaptions: split must be 'train' or 'test', got {split!r}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 32:
            raise ValueError(f"DigitCaptions: size must be an int >= 32, got {size!r}")
        if max_digits not in (1, 2, 3):
            raise ValueError(f"DigitCaptions: max_digits must be 1, 2 or 3, got {max_digits!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"DigitCaptions: seed must be an int >= 0, got {seed!r}")
        length = DEFAULT_LENGTH[split] if length is None else length
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"DigitCaptions: length must be a positive int, got {length!r}")
        super().__init__(transform, None)
        source = MNISTSample(root=root, train=split == "train")
        self.root, self.train, self.split = source.root, split == "train", split
        self.size, self.seed, self.length, self.max_digits = size, seed, length, max_digits
        self.tokenizer = tokenizer
        self._digits, self._labels = source.data, source.targets
        self._layouts = {}

    def __len__(self):
        return self.length

    def _draw_sizes(self, rng, count):
        """`count` source digits, their size words and (height, width) on the canvas, drawn
        again until they fit side by side with a pixel between neighbours."""
        while True:
            sources = rng.integers(0, len(self._digits), size=count)
            size_words = rng.choice(list(SIZES), size=count)
            boxes = []
            for source, word in zip(sources, size_words):
                low, high = SIZES[word]
                height = int(round(rng.uniform(low, high) * self.size))
                crop = _crop(self._digits[source])
                boxes.append((height, max(1, int(round(height * crop.shape[1] / crop.shape[0])))))
            if self.size - sum(w for _, w in boxes) >= count - 1:
                return sources, size_words, boxes

    def _layout(self, index):
        """The digits of item `index`, left to right (source position, class, size word,
        stroke and box (top, left, height, width) on the canvas), and its caption template."""
        if not 0 <= index < self.length:
            raise IndexError(f"DigitCaptions: index {index} out of range for {self.length} "
                             f"items")
        if index in self._layouts:
            return self._layouts[index]
        rng = np.random.default_rng([self.seed, index])
        count = int(rng.integers(1, self.max_digits + 1))
        sources, size_words, boxes = self._draw_sizes(rng, count)
        slack = self.size - sum(w for _, w in boxes)
        gaps = np.sort(rng.integers(0, slack - (count - 1) + 1, size=count))
        digits, widths_before = [], 0
        for k, (source, word, (height, width)) in enumerate(zip(sources, size_words, boxes)):
            left = int(gaps[k]) + k + widths_before
            top = int(rng.integers(0, self.size - height + 1))
            digits.append({"digit": int(self._labels[source]), "size": str(word),
                           "stroke": str(rng.choice(STROKES[word == "small":])),
                           "source": int(source), "box": (top, left, height, width)})
            widths_before += width
        template = int(rng.integers(len(TEMPLATES[count])))
        self._layouts[index] = digits, template
        return digits, template

    def entities(self, index):
        """Item `index`'s ontology: `digits` (left to right), their `sizes` and `strokes`,
        `relations` as (left digit, "left of", right digit) for every ordered pair, and the
        `boxes` (top, left, height, width) where they are drawn."""
        layout, _ = self._layout(index)
        return {"digits": tuple(d["digit"] for d in layout),
                "sizes": tuple(d["size"] for d in layout),
                "strokes": tuple(d["stroke"] for d in layout),
                "relations": tuple((a["digit"], "left of", b["digit"])
                                   for i, a in enumerate(layout) for b in layout[i + 1:]),
                "boxes": tuple(d["box"] for d in layout)}

    @property
    def entity_sets(self):
        """Per item, the frozenset of digits it shows (the objects its caption names)."""
        return [frozenset(d["digit"] for d in self._layout(i)[0]) for i in range(self.length)]

    def caption(self, index):
        """Item `index`'s caption string."""
        return caption_of(*self._layout(index))

    def image(self, index):
        """Item `index`'s canvas, size×size uint8, before `transform`."""
        canvas = np.zeros((self.size, self.size), dtype=np.uint8)
        for d in self._layout(index)[0]:
            top, left, height, width = d["box"]
            glyph = _restroke(_resize(_crop(self._digits[d["source"]]), height, width),
                              d["stroke"])
            glyph = _full_range(glyph)
            region = canvas[top:top + height, left:left + width]
            np.maximum(region, glyph, out=region)
        return canvas

    def __getitem__(self, index):
        index = int(index)
        image, caption = self.image(index), self.caption(index)
        if self.transform is not None:
            image = self.transform(image)
        if self.tokenizer is not None:
            caption = self.tokenizer([caption])[0]
        return image, caption

    def _describe(self):
        return [f"Split: {self.split}", f"Canvas: {self.size}x{self.size}",
                f"Seed: {self.seed}"]
