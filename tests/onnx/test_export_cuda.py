"""mc.onnx.export of a model on a CUDA device: the graph and its weights are the same as the
CPU model's, and onnxruntime gives the CUDA model's outputs."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from onnx_helpers import Wrapped, run_onnx

pytestmark = pytest.mark.gpu


def test_a_cuda_model_exports_its_weights_and_ops(tmp_path):
    mc.manual_seed(0)
    nn = mc.nn
    model = Wrapped(lambda m, x: F.interpolate(m.body(x), scale_factor=2, mode="bilinear")
                    .flatten(1).softmax(dim=1),
                    body=nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                                       nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)))
    model.eval()
    x = mc.randn(2, 3, 7, 7)
    with mc.no_grad():
        expected = model(x).numpy()
    model.to("cuda")
    proto = mc.onnx.export(model, x.to("cuda"), tmp_path / "m.onnx")
    assert {i.name for i in proto.graph.initializer} >= {"body.0.weight", "body.1.running_var"}
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", (x,))[0], expected, rtol=1e-5,
                               atol=1e-6)
