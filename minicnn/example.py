"""The README example: a tiny two-layer net, its loss, and one SGD step by hand."""
import minicnn as mc
import minicnn.functional as F

mc.manual_seed(0)
x, y = mc.randn(8, 4), mc.randint(0, 3, (8,))                 # a batch and its labels
w1, b1 = mc.randn(16, 4, requires_grad=True), mc.zeros(16, requires_grad=True)
w2, b2 = mc.randn(3, 16, requires_grad=True), mc.zeros(3, requires_grad=True)
net = lambda x: F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)  # (8, 4) -> (8, 3) logits
loss = F.cross_entropy(net(x), y)
loss.backward()                                                # fills every .grad
with mc.no_grad():
    for p in (w1, b1, w2, b2):
        p -= 0.1 * p.grad                                      # one SGD step, in place
print(f"loss {loss.item():.4f} -> {F.cross_entropy(net(x), y).item():.4f} after one step")
