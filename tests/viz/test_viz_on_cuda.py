"""mc.viz on a model and a batch on the GPU gives what it gives on the CPU, on the same
device as x (a real GPU, or the emulated one with MINICNN_CUDA_EMULATE=1)."""
import numpy as np
import pytest

import minicnn as mc
from viz_helpers import images, lenet

METHODS = {
    "saliency": lambda m, x: mc.viz.saliency(m, x, [3, 8]),
    "guided_backprop": lambda m, x: mc.viz.guided_backprop(m, x, [3, 8]),
    "deconvnet": lambda m, x: mc.viz.deconvnet(m, x, 1),
    "grad_cam": lambda m, x: mc.viz.grad_cam(m, x, [3, 8], m.features[3]),
    "occlusion": lambda m, x: mc.viz.occlusion(m, x, 2, (1, 12, 12), (1, 10, 10)),
    "integrated_gradients": lambda m, x: mc.viz.integrated_gradients(m, x, [0, 9], steps=3),
}


@pytest.mark.gpu
@pytest.mark.parametrize("name", METHODS)
def test_each_attribution_on_cuda_equals_the_cpu_one(name):
    model, x = lenet(), images((2, 1, 32, 32))
    expected = METHODS[name](model, x).numpy()
    result = METHODS[name](model.to("cuda"), x.to("cuda"))
    assert result.is_cuda
    np.testing.assert_allclose(result.cpu().numpy(), expected, rtol=1e-9,
                               atol=1e-12 * np.abs(expected).max())


@pytest.mark.gpu
def test_feature_maps_on_cuda_stay_there():
    model, x = lenet().to("cuda"), images((1, 1, 32, 32)).to("cuda")
    maps = mc.viz.feature_maps(model, x, ["features.0"])
    assert maps["features.0"].is_cuda
    assert mc.viz.filters(model.features[0]).shape == (2 * 6 + 1, 3 * 6 + 1)
