"""trace_mode.recording: every Function applied in the thread reaches the recorder once it
has run, with its inputs, parameters and result; nothing else changes, other threads are
not recorded, and the previous recorder is back after the block."""
import threading

import numpy as np

import minicnn as mc
from minicnn import trace_mode
from minicnn.functional.activation import ReLU
from minicnn.functional.arithmetic import Add


def test_the_recorder_sees_each_op_with_inputs_params_and_result():
    seen = []
    x = mc.randn(2, 3, requires_grad=True)
    with trace_mode.recording(lambda *record: seen.append(record)):
        y = mc.relu(x) + 1
    assert [record[0] for record in seen] == [ReLU, Add]
    function, inputs, params, result = seen[0]
    assert inputs == (x,) and params == {"inplace": False} and result is seen[1][1][0]
    assert seen[1][3] is y and y.requires_grad           # the graph is recorded as ever
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(np.float32))
    assert trace_mode.state.recorder is None


def test_blocks_nest_and_other_threads_are_not_recorded():
    outer, inner, other = [], [], []
    with trace_mode.recording(lambda *r: outer.append(r[0])):
        with trace_mode.recording(lambda *r: inner.append(r[0])):
            worker = threading.Thread(target=lambda: other.append(mc.relu(mc.ones(2))))
            worker.start()
            worker.join()
            mc.ones(2) + 1
        mc.relu(mc.ones(2))
    assert inner == [Add] and outer == [ReLU] and len(other) == 1
