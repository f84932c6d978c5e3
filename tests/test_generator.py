"""mc.Generator (torch.Generator's role: a random stream of its own), the factories that take
`generator=`, mc.normal, and seeding the CUDA generators through mc.cuda."""
import numpy as np
import pytest

import minicnn as mc


def test_a_seeded_generator_repeats_and_leaves_the_global_stream_alone():
    mc.manual_seed(0)
    expected_global = mc.rand(3).numpy()
    mc.manual_seed(0)
    g = mc.Generator().manual_seed(42)
    first = [mc.randn(4, generator=g), mc.rand(2, generator=g),
             mc.randint(0, 10, (5,), generator=g), mc.randperm(6, generator=g)]
    np.testing.assert_array_equal(mc.rand(3).numpy(), expected_global)
    g.manual_seed(42)
    second = [mc.randn(4, generator=g), mc.rand(2, generator=g),
              mc.randint(0, 10, (5,), generator=g), mc.randperm(6, generator=g)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g.initial_seed() == 42 and mc.Generator().initial_seed() == 67280421310721


def test_generator_state_round_trips():
    g = mc.Generator().manual_seed(1)
    state = g.get_state()
    a = mc.randn(3, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(a.numpy(), mc.randn(3, generator=g).numpy())
    seed = g.seed()
    assert g.initial_seed() == seed


def test_generator_must_be_a_minicnn_generator():
    with pytest.raises(TypeError, match="generator must be a minicnn.Generator"):
        mc.randn(2, generator=np.random.default_rng(0))


@pytest.mark.parametrize("mean, std, size, shape", [
    (0.0, 1.0, (2, 3), (2, 3)),
    (2.0, 0.5, (4,), (4,)),
])
def test_normal_with_numbers_and_a_size(mean, std, size, shape):
    mc.manual_seed(0)
    x = mc.normal(mean, std, size=size)
    assert x.shape == shape and x.dtype == mc.float32 and not x.requires_grad


def test_normal_with_tensors_broadcasts_and_follows_the_statistics():
    mc.manual_seed(0)
    mean = mc.tensor([[0.0], [10.0]])
    std = mc.tensor([1.0, 2.0, 3.0, 0.0])
    x = mc.normal(mean.expand(2, 4).contiguous().repeat(1, 5000), std.repeat(5000))
    assert x.shape == (2, 20000)
    values = x.numpy().reshape(2, 5000, 4)
    np.testing.assert_allclose(values.mean(axis=1), [[0, 0, 0, 0], [10, 10, 10, 10]], atol=0.2)
    np.testing.assert_allclose(values.std(axis=1), [[1, 2, 3, 0]] * 2, atol=0.2)
    assert mc.normal(mc.zeros(3, dtype=mc.float64)).dtype == mc.float64


def test_normal_argument_errors():
    with pytest.raises(TypeError, match="normal: with a number mean and std, give `size`"):
        mc.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="normal: std must be non-negative"):
        mc.normal(0.0, -1.0, size=(2,))
    with pytest.raises(ValueError, match="pass size only with numbers"):
        mc.normal(mc.zeros(2), 1.0, size=(2,))


def test_cuda_seeding_works_without_a_gpu_as_pytorch():
    mc.cuda.manual_seed(3)
    mc.cuda.manual_seed_all(3)
    mc.manual_seed(0)
    assert mc.rand(1).numpy().shape == (1,)


@pytest.mark.gpu
def test_cuda_manual_seed_repeats_cuda_draws_and_leaves_the_cpu_stream():
    mc.manual_seed(0)
    cpu_expected = mc.rand(3).numpy()
    mc.manual_seed(0)
    mc.cuda.manual_seed(7)
    a = mc.randn(5, device="cuda").cpu().numpy()
    np.testing.assert_array_equal(mc.rand(3).numpy(), cpu_expected)
    mc.cuda.manual_seed(7)
    np.testing.assert_array_equal(a, mc.randn(5, device="cuda").cpu().numpy())
    mc.cuda.manual_seed_all(7)
    np.testing.assert_array_equal(a, mc.randn(5, device="cuda").cpu().numpy())
    g = mc.Generator("cuda").manual_seed(1)
    b = mc.rand(4, device="cuda", generator=g)
    g.manual_seed(1)
    np.testing.assert_array_equal(b.cpu().numpy(),
                                  mc.rand(4, device="cuda", generator=g).cpu().numpy())
    with pytest.raises(ValueError, match="generator is on cuda:0 but the tensor is made on cpu"):
        mc.rand(2, generator=g)
