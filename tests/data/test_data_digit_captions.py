"""DigitCaptions: seeded image–caption pairs from the packaged MNIST digits — determinism,
captions that say what is drawn, the sizes' bounds, the split, and CLIP tokenization."""
import gzip

import numpy as np
import pytest

import minicnn as mc
from minicnn.data import DataLoader, DigitCaptions
from minicnn.data.datasets.digit_captions import SIZES, TEMPLATES, caption_of
from minicnn.models import SimpleTokenizer


@pytest.fixture(scope="module")
def train():
    return DigitCaptions("train", length=300, seed=0)


def test_same_seed_same_items_other_seed_other_items(train):
    again = DigitCaptions("train", length=300, seed=0)
    other = DigitCaptions("train", length=300, seed=1)
    for i in range(0, 300, 7):
        image, caption = train[i]
        image2, caption2 = again[i]
        assert caption == caption2 and np.array_equal(image, image2)
        assert train.entities(i) == again.entities(i)
    assert [train.caption(i) for i in range(50)] != [other.caption(i) for i in range(50)]


def test_an_item_does_not_depend_on_what_was_read_before():
    first = DigitCaptions("train", length=100, seed=3)
    backwards = DigitCaptions("train", length=100, seed=3)
    for i in reversed(range(100)):
        backwards[i]
    assert [first.caption(i) for i in range(100)] == [backwards.caption(i) for i in range(100)]


def test_images_are_uint8_canvases_with_one_to_three_digits(train):
    counts = set()
    for i in range(len(train)):
        image, caption = train[i]
        assert image.shape == (64, 64) and image.dtype == np.uint8
        assert isinstance(caption, str)
        counts.add(len(train.entities(i)["digits"]))
    assert counts == {1, 2, 3}


def test_caption_names_exactly_the_placed_digits_with_their_sizes(train):
    for i in range(len(train)):
        e = train.entities(i)
        words = train.caption(i).replace(",", "").replace(":", "").split()
        named = [(words[k - 1], int(w)) for k, w in enumerate(words) if w.isdigit()]
        assert sorted(named) == sorted(zip(e["sizes"], e["digits"]))


def test_left_right_wording_is_true_by_position(train):
    for i in range(len(train)):
        e = train.entities(i)
        lefts = [box[1] for box in e["boxes"]]
        rights = [box[1] + box[3] for box in e["boxes"]]
        assert all(rights[k] < lefts[k + 1] for k in range(len(lefts) - 1))  # no x overlap
        caption = train.caption(i)
        phrases = [f"a {s} {d}" for s, d in zip(e["sizes"], e["digits"])]
        if len(phrases) == 2:
            assert caption in (f"{phrases[0]} to the left of {phrases[1]}",
                               f"{phrases[1]} to the right of {phrases[0]}")
        assert len(e["relations"]) == len(phrases) * (len(phrases) - 1) // 2
        for a, relation, b in e["relations"]:
            assert relation == "left of"
            assert e["digits"].index(a) < len(e["digits"]) - 1 - e["digits"][::-1].index(b)


def test_every_template_says_left_to_right_order():
    digits = [{"digit": 3, "size": "small"}, {"digit": 7, "size": "large"},
              {"digit": 1, "size": "medium"}]
    for count in (2, 3):
        for template in range(len(TEMPLATES[count])):
            caption = caption_of(digits[:count], template)
            if "to the right of" in caption:   # named right to left
                assert caption.index("7") < caption.index("3")
            else:
                assert caption.index("3") < caption.index("7")


def test_digits_are_inside_their_boxes_and_sizes_within_bounds(train):
    for i in range(len(train)):
        e, image = train.entities(i), train.image(i)
        covered = np.zeros_like(image, dtype=bool)
        for (top, left, height, width), size in zip(e["boxes"], e["sizes"]):
            low, high = SIZES[size]
            assert round(low * 64) <= height <= round(high * 64)
            assert 0 <= top and top + height <= 64 and 0 <= left and left + width <= 64
            assert (image[top:top + height, left:left + width] >= 128).sum() >= 10  # visible
            covered[top:top + height, left:left + width] = True
        assert not image[~covered].any()


def test_small_medium_large_heights_are_ordered(train):
    heights = {s: [] for s in SIZES}
    for i in range(len(train)):
        e = train.entities(i)
        for (_, _, height, _), size in zip(e["boxes"], e["sizes"]):
            heights[size].append(height)
    assert max(heights["small"]) < min(heights["medium"])
    assert max(heights["medium"]) < min(heights["large"])


def test_train_and_test_draw_from_mnist_samples_own_splits():
    assert len(DigitCaptions("train")) == 4000 and len(DigitCaptions("test")) == 1000
    test = DigitCaptions("test", length=50)
    source = mc.data.datasets.MNISTSample(train=False)
    assert np.array_equal(test._digits, source.data)
    for i in range(50):
        for d in test._layout(i)[0]:
            assert d["digit"] == source.targets[d["source"]]
    image = DigitCaptions("test", length=1, max_digits=1).image(0)
    assert image.any()


def test_entity_sets_are_the_digits_shown(train):
    sets = train.entity_sets
    assert len(sets) == len(train)
    assert all(s == frozenset(train.entities(i)["digits"]) for i, s in enumerate(sets))


def test_tokenizer_turns_captions_into_clip_ids(tmp_path):
    path = tmp_path / "vocab.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("#version: 0.2\ns m\nsm a\nl e\n")
    tokenizer = SimpleTokenizer(str(path), context_length=128)
    ds = DigitCaptions("train", length=8, tokenizer=tokenizer)
    _, ids = ds[0]
    assert ids.shape == (128,) and ids.dtype == mc.int64
    decoded = tokenizer.decode([i for i in ids.numpy().tolist() if i not in
                                (0, *tokenizer.all_special_ids)])
    assert decoded.replace(" ", "") == ds.caption(0).replace(" ", "")
    images, texts = next(iter(DataLoader(ds, batch_size=4)))
    assert images.shape == (4, 64, 64) and texts.shape == (4, 128)


def test_transform_and_size(train):
    ds = DigitCaptions("train", size=48, length=10, transform=lambda im: im[None] / 255.0)
    image, _ = ds[0]
    assert image.shape == (1, 48, 48) and image.max() == 1.0


@pytest.mark.parametrize("kwargs", [{"split": "val"}, {"size": 16}, {"max_digits": 4},
                                    {"length": 0}, {"seed": -1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="DigitCaptions"):
        DigitCaptions(**kwargs)


def test_index_out_of_range(train):
    with pytest.raises(IndexError):
        train[300]
