"""The hand-written GRU backward against nn.GRU and finite differences; the denormal switch is restored."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from classbench.models.text.fused_gru import FusedGRU  # noqa: E402
from classbench.models.text.torch_base import flush_denormals  # noqa: E402


@pytest.mark.parametrize("shape", [(4, 9, 7, 5), (1, 1, 3, 2), (3, 17, 2, 6)])
def test_matches_nn_gru_outputs_and_gradients(shape):
    b, t, d, h = shape
    torch.manual_seed(0)
    ref = torch.nn.GRU(d, h, batch_first=True).double()
    mine = FusedGRU(d, h, batch_first=True).double()
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(b, t, d, dtype=torch.float64, requires_grad=True)
    g = torch.randn(b, t, h, dtype=torch.float64)
    out_ref, out = ref(x)[0], mine(x)[0]
    torch.testing.assert_close(out, out_ref, atol=1e-12, rtol=1e-10)
    grads_ref = torch.autograd.grad(out_ref, [x, *ref.parameters()], g)
    grads = torch.autograd.grad(out, [x, *mine.parameters()], g)
    for name, a, e in zip(["x", *dict(ref.named_parameters())], grads, grads_ref):
        torch.testing.assert_close(a, e, atol=1e-12, rtol=1e-10, msg=lambda m, n=name: f"gradient of {n}: {m}")


def test_gradcheck_and_fallbacks():
    torch.manual_seed(1)
    m = FusedGRU(3, 4, batch_first=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: m(inp)[0], (x,), eps=1e-6, atol=1e-6)
    with torch.no_grad():  # inference goes through nn.GRU: same numbers
        torch.testing.assert_close(m(x)[0], torch.nn.GRU.forward(m, x)[0])
    with torch.autocast("cpu", dtype=torch.bfloat16):  # the wrapper's precision="bfloat16"
        y = FusedGRU(3, 4, batch_first=True)(torch.randn(2, 5, 3, requires_grad=True))[0]
    assert y.dtype == torch.float32
    y.sum().backward()
    stacked = FusedGRU(3, 4, num_layers=2, batch_first=True)
    assert stacked(torch.randn(2, 5, 3))[0].shape == (2, 5, 4)


def test_flush_denormals_is_scoped():
    tiny = torch.tensor([1e-40])
    before = (tiny * 1.0).item()
    with flush_denormals():
        assert (tiny * 1.0).item() == 0.0
    assert (tiny * 1.0).item() == before
