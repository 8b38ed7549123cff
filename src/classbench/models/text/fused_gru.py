"""A one-layer GRU with a hand-written backward pass, for the CPU.

PyTorch runs ``nn.LSTM`` on the CPU through oneDNN's fused kernels, but ``nn.GRU`` through one small
autograd graph per time step (about 40 operations and their bookkeeping per step): on IMDB the GRU
trained about 3x slower than the LSTM. Here the time loop does 7 tensor operations forward and 7 backward
per step, everything that does not depend on the recurrence is computed for all steps at once, and
the recurrent weight gradient is one matrix product at the end. Same equations and parameter layout
as ``nn.GRU`` (gates r, z, n):

    r = s(x W_ir + b_ir + h W_hr + b_hr),  z = s(x W_iz + b_iz + h W_hz + b_hz)
    n = tanh(x W_in + b_in + r * (h W_hn + b_hn)),  h' = n + z * (h - n)

``tests/text`` checks outputs and gradients against ``nn.GRU``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _GRUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, xp: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        """xp : (T, B, 3H) input projections with b_ih; w_hh : (3H, H); b_hh : (3H,) -> all states (T, B, H)."""
        T, B, G = xp.shape
        H = G // 3
        hs = xp.new_zeros(T + 1, B, H)
        rz = xp.new_empty(T, B, 2 * H)
        n = xp.new_empty(T, B, H)
        hn = xp.new_empty(T, B, H)  # h W_hn + b_hn, needed for dr
        wt = w_hh.t()
        for t in range(T):
            hp = torch.addmm(b_hh, hs[t], wt)
            torch.add(xp[t, :, : 2 * H], hp[:, : 2 * H], out=rz[t]).sigmoid_()
            hn[t] = hp[:, 2 * H:]
            torch.addcmul(xp[t, :, 2 * H:], rz[t, :, :H], hn[t], out=n[t]).tanh_()
            torch.addcmul(n[t], rz[t, :, H:], hs[t] - n[t], out=hs[t + 1])
        ctx.save_for_backward(w_hh, hs, rz, n, hn)
        return hs[1:]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        w_hh, hs, rz, n, hn = ctx.saved_tensors
        T, B, H = n.shape
        r, z = rz[..., :H], rz[..., H:]
        # every factor that does not depend on the incoming gradient, for all steps at once
        a_n = (1 - z) * (1 - n * n)  # d h' / d (n's pre-activation)
        a_z = (hs[:-1] - n) * z * (1 - z)  # d h' / d (z's pre-activation)
        a_r = hn * r * (1 - r)  # d (n's pre-activation) / d (r's pre-activation)
        dxp = grad.new_empty(T, B, 3 * H)
        dhp = grad.new_empty(T, B, 3 * H)  # gradient of h W_hh + b_hh
        dh = grad.new_zeros(B, H)
        for t in range(T - 1, -1, -1):
            dh = dh + grad[t]
            dn = torch.mul(dh, a_n[t], out=dxp[t, :, 2 * H:])
            torch.mul(dh, a_z[t], out=dxp[t, :, H: 2 * H])
            torch.mul(dn, a_r[t], out=dxp[t, :, :H])
            dhp[t, :, : 2 * H] = dxp[t, :, : 2 * H]
            torch.mul(dn, r[t], out=dhp[t, :, 2 * H:])
            dh = torch.addmm(dh * z[t], dhp[t], w_hh)
        flat = dhp.reshape(T * B, 3 * H)
        return dxp, flat.t() @ hs[:-1].reshape(T * B, H), flat.sum(0)


class FusedGRU(nn.GRU):
    """``nn.GRU`` (one layer, one direction, ``batch_first``) whose CPU training uses ``_GRUFunction``.

    Parameters and state dict are ``nn.GRU``'s; off the CPU, or with several layers or directions, or when
    no gradient is needed, it runs ``nn.GRU`` itself. Returns ``(output, None)``: no final state.
    """

    def forward(self, x: torch.Tensor, hx: Any = None) -> tuple[torch.Tensor, Any]:  # type: ignore[override]
        fast = (x.device.type == "cpu" and self.num_layers == 1 and not self.bidirectional and self.batch_first
                and hx is None and torch.is_grad_enabled() and x.dim() == 3)
        if not fast:
            out, _ = super().forward(x, hx)
            return out, None
        B, T, _ = x.shape
        with torch.autocast("cpu", enabled=False):  # the recurrence in float32, also under bfloat16 autocast
            x = x.to(self.weight_ih_l0.dtype)
            xp = torch.addmm(self.bias_ih_l0, x.reshape(B * T, -1), self.weight_ih_l0.t()).view(B, T, -1)
            out = _GRUFunction.apply(xp.transpose(0, 1).contiguous(), self.weight_hh_l0, self.bias_hh_l0)
        return out.transpose(0, 1), None
