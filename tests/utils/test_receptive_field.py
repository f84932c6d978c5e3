"""Receptive fields: the recurrence on stacks, branching networks (residual adds,
concatenations), functional ops between modules, global operations, and the zoo's known
values."""
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.nn import functional as F
from minicnn.nn.summary import summary
from minicnn.utils import receptive_field


def _fields(model, input_size, depth=None):
    rows = summary(model, input_size, depth=depth, print_table=False)
    return {r["name"]: r["receptive_field"] for r in rows}


def test_three_3x3_convolutions_see_7x7():
    model = nn.Sequential(*[nn.Conv2d(4, 4, 3, padding=1) for _ in range(3)])
    model[0] = nn.Conv2d(3, 4, 3, padding=1)
    assert list(_fields(model, (3, 16, 16)).values()) == [3, 5, 7]
    assert receptive_field(model, (3, 16, 16)) == 7


def test_dilation_widens_the_kernel():
    # effective kernel d·(k − 1) + 1 = 5 for a 3×3 at dilation 2
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2, padding=2),
                          nn.Conv2d(2, 2, 3, dilation=2, padding=2),
                          nn.MaxPool2d(2, dilation=2))
    assert list(_fields(model, (1, 20, 20)).values()) == [5, 9, 11]


def test_resnet_stem_sees_11():
    stem = nn.Sequential(nn.Conv2d(3, 8, 7, stride=2, padding=3), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(3, stride=2, padding=1))
    assert list(_fields(stem, (3, 32, 32)).values()) == [7, 7, 7, 11]


def test_jumps_accumulate_through_conv_pool_stacks():
    # conv 3: r 3, j 1; pool 2/2: r 4, j 2; conv 3: r 8; avg pool 3/3: r 12, j 6; conv 3: r 24
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3),
                          nn.AvgPool2d(3), nn.Conv2d(2, 2, 3, padding=1))
    assert list(_fields(model, (1, 30, 30)).values()) == [3, 4, 8, 12, 24]


def test_not_capped_at_the_input_size():
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(10)])
    assert receptive_field(model, (1, 8, 8)) == 21


def test_rectangular_kernels_give_height_and_width():
    model = nn.Sequential(nn.Conv2d(1, 2, (1, 7), padding=(0, 3)), nn.Conv2d(2, 2, (3, 1)))
    assert list(_fields(model, (1, 12, 12)).values()) == [(1, 7), (3, 7)]


def test_transposed_convolution_halves_the_jump():
    # conv 3/2: r 3, j 2; an output of convT 4/2 sees ⌈4/2⌉ = 2 inputs: r 3 + 2 = 5, j 1;
    # then a 3×3 adds 2·1
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1),
                          nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1),
                          nn.Conv2d(2, 1, 3, padding=1))
    assert list(_fields(model, (1, 8, 8)).values()) == [3, 5, 7]


class _Residual(nn.Module):
    """relu(conv(relu(conv(x))) + shortcut(x)), the shortcut a 1×1 (stride 2) or identity."""

    def __init__(self, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.shortcut = nn.Conv2d(4, 4, 1, stride=stride) if stride > 1 else nn.Identity()
        self.relu = nn.ReLU()                           # called twice: a shared layer

    def forward(self, x):
        return self.relu(self.conv2(self.relu(self.conv1(x))) + self.shortcut(x))


def test_residual_add_takes_the_longer_branch():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), _Residual(1), _Residual(2))
    fields = _fields(model, (3, 16, 16), depth=1)
    # 3; +2 +2 = 7 (identity shortcut: 3); then 3×3/2 (+2, j 2) and 3×3 (+4) = 13
    assert fields == {"0": 3, "1": 7, "2": 13}
    rows = summary(model, (3, 16, 16), print_table=False)
    assert [r["receptive_field"] for r in rows if r["name"] == "1.relu"] == [5, 7]
    assert [r["receptive_field"] for r in rows if r["name"] == "2.shortcut"] == [7]
    assert receptive_field(model, (3, 16, 16)) == 13


class _Inception(nn.Module):
    """Four branches concatenated: 1×1; 3×3; two 3×3 (a 5×5); 3×3 max-pool then 1×1."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Conv2d(2, 2, 1)
        self.branch2 = nn.Conv2d(2, 2, 3, padding=1)
        self.branch3 = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(2, 2, 1))

    def forward(self, x):
        return mc.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def test_concatenation_takes_the_widest_branch():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), _Inception(), nn.Conv2d(8, 2, 3))
    fields = _fields(model, (1, 12, 12))
    assert fields["1.branch4.1"] == 5 and fields["1.branch1"] == 3
    assert fields["2"] == 9                                 # 3 + 4 (the 5×5 branch) + 2
    assert _fields(model, (1, 12, 12), depth=1)["1"] == 7


class _FunctionalPool(nn.Module):
    """conv, F.max_pool2d between modules, conv: the pool is seen through the size it leaves."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 2, 3, padding=1)
        self.b = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return self.b(F.max_pool2d(self.a(x), 2))


def test_functional_pooling_between_modules():
    assert _fields(_FunctionalPool(), (1, 8, 8)) == {"a": 3, "b": 8}   # 3, +1 (j 2), +2·2


class _GlobalHead(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3))
        self.pool = pool
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.features(x)                              # (N, 4, 6, 6)
        x = self.pool(x) if self.pool is not None else x.mean((2, 3))
        return self.fc(mc.flatten(x, 1))


@pytest.mark.parametrize("pool", [nn.AdaptiveAvgPool2d(1), nn.AdaptiveMaxPool2d((1, 1)), None])
def test_global_operations_see_the_whole_input(pool):
    model = _GlobalHead(pool)
    fields = _fields(model, (1, 10, 10))
    assert fields["features.1"] == 5
    assert fields["fc"] == 10                               # max(5, the input's 10)
    assert receptive_field(model, (1, 10, 10)) == 5         # the final feature map's
    assert receptive_field(nn.Sequential(*[nn.Conv2d(1, 1, 3) for _ in range(6)],
                                         nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                         nn.Linear(1, 2)), (1, 14, 14)) == 13
    if pool is not None:
        assert fields["pool"] == 10


def test_adaptive_pooling_to_a_grid_is_a_window():
    # 6×6 → 3×3: windows of 2 every 2; 6×6 → 4×4: the widest bin holds 2 positions
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(3), nn.Conv2d(1, 1, 3))
    assert list(_fields(model, (1, 8, 8)).values()) == [3, 4, 8]
    assert _fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveMaxPool2d(4)),
                   (1, 8, 8))["1"] == 4


def test_squeeze_excitation_makes_every_position_global():
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.SqueezeExcitation(4, 2),
                          nn.Conv2d(4, 4, 3, padding=1))
    fields = _fields(model, (2, 12, 12), depth=1)
    assert fields == {"0": 3, "1": 12, "2": 12}               # whole input from the SE on
    deep = nn.Sequential(*[nn.Conv2d(2, 2, 3, padding=1) for _ in range(8)],
                         nn.SqueezeExcitation(2, 1))
    assert receptive_field(deep, (2, 12, 12)) == 17          # local 17 exceeds the input


class _TinyViT(nn.Module):
    """4×4 patches of a 16×16 image, attention (module or functional), mean token, head."""

    def __init__(self, functional):
        super().__init__()
        self.functional = functional
        self.patch = nn.Conv2d(3, 8, 4, stride=4)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.qkv = nn.Linear(8, 24)
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = mc.transpose(mc.flatten(self.patch(x), 2), 1, 2)     # (N, 16, 8)
        if self.functional:
            q, k, v = mc.chunk(self.qkv(x), 3, dim=-1)
            x = self.proj(F.scaled_dot_product_attention(q, k, v))
        else:
            x = self.attn(x, x, x)[0]
        return self.head(x.mean(1))


@pytest.mark.parametrize("functional", [False, True])
def test_attention_mixes_every_token(functional):
    model = _TinyViT(functional)
    fields = _fields(model, (3, 16, 16))
    assert fields["patch"] == 4
    assert fields["proj" if functional else "attn"] == 16
    if functional:
        assert fields["qkv"] == 4                               # per token
    assert receptive_field(model, (3, 16, 16)) == 16


def test_inputs_that_are_not_images_have_none():
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    assert receptive_field(model, (6,)) is None
    assert {r["receptive_field"] for r in summary(model, (6,), print_table=False)} == {None}


def test_resnet18_layer4_sees_435():
    # stem 11 (jump 4); layer1: four 3×3 at jump 4 → 43; layer2: 3×3/2 (+8, jump 8) and
    # three 3×3 (+48) → 99; layer3 → 211; layer4: +32 +192 → 435. The 1×1 shortcuts see less.
    model = mc.models.resnet18(num_classes=10)
    fields = _fields(model, (3, 64, 64), depth=1)
    assert [fields[f"layer{i}"] for i in range(1, 5)] == [43, 99, 211, 435]
    assert receptive_field(model, (3, 64, 64)) == 435   # local layers: any input size
