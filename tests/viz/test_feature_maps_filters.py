"""mc.viz.feature_maps returns what each named layer output; mc.viz.filters lays a
convolution's weights out as a [0, 1] image grid; the display helpers."""
import numpy as np
import pytest

import minicnn as mc
from viz_helpers import images, lenet


def test_feature_maps_are_the_layers_outputs():
    model, x = lenet(), images((2, 1, 32, 32))
    maps = mc.viz.feature_maps(model, x, ["features.0", "features.5", "classifier.1"])
    assert list(maps) == ["features.0", "features.5", "classifier.1"]
    with mc.no_grad():
        np.testing.assert_array_equal(maps["features.0"].numpy(), model.features[0](x).numpy())
        np.testing.assert_array_equal(maps["features.5"].numpy(), model.features[:6](x).numpy())
        np.testing.assert_array_equal(maps["classifier.1"].numpy(),
                                      model.classifier[:2](model.features(x)).numpy())
    assert not any(m.requires_grad for m in maps.values())


def test_feature_maps_come_before_a_later_in_place_op():
    mc.manual_seed(0)
    model = mc.nn.Sequential(mc.nn.Conv2d(1, 4, 3), mc.nn.BatchNorm2d(4),
                             mc.nn.ReLU(inplace=True)).double()
    x = images((1, 1, 8, 8))
    maps = mc.viz.feature_maps(model, x, ["1", "2"])
    assert (maps["1"].numpy() < 0).any()
    np.testing.assert_array_equal(maps["2"].numpy(), np.maximum(maps["1"].numpy(), 0))


def test_filters_of_an_rgb_layer_are_colour_tiles():
    mc.manual_seed(0)
    conv = mc.nn.Conv2d(3, 5, 4)
    picture = mc.viz.filters(conv)
    assert picture.shape == (2 * 5 + 1, 3 * 5 + 1, 3)    # 2 rows of 3 tiles, 1-pixel lines
    assert picture.min() == 0 and picture.max() == 1
    weight = conv.weight.detach().numpy()
    scaled = (weight - weight.min()) / (weight.max() - weight.min())
    np.testing.assert_allclose(picture[1:5, 6:10], scaled[1].transpose(1, 2, 0), rtol=1e-6)
    assert (picture[:, 5] == 1).all() and (picture[5] == 1).all()


def test_filters_of_other_layers_are_gray_tiles():
    mc.manual_seed(0)
    assert mc.viz.filters(mc.nn.Conv2d(1, 6, 5)).shape == (2 * 6 + 1, 3 * 6 + 1)
    assert mc.viz.filters(mc.nn.Conv2d(4, 2, 3)).shape == (2 * 4 + 1, 4 * 4 + 1)
    with pytest.raises(TypeError, match=r"filters: layer must be an nn.Conv2d, got Linear"):
        mc.viz.filters(mc.nn.Linear(2, 2))


def test_normalize_and_upsample_prepare_maps_for_display():
    maps = mc.tensor(np.array([[[[1.0, 3.0], [2.0, 5.0]]], [[[4.0, 4.0], [4.0, 4.0]]]]))
    scaled = mc.viz.normalize(maps).numpy()
    np.testing.assert_allclose(scaled[0, 0], [[0, 0.5], [0.25, 1]])
    np.testing.assert_array_equal(scaled[1], 0)
    assert mc.viz.upsample(maps, (8, 6)).shape == (2, 1, 8, 6)
