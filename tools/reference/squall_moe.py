"""The MoE sublayer and its router losses (MODEL.md "MoE sublayer", "Router losses"; SPEC §6.6,
§6.7, §7.1-§7.4), in float64. Part of the PyTorch reference; written from MODEL.md and SPEC.md.

Shapes: f is (N, C), N = B·T token rows; E experts, K′ routed per token, Fe expert hidden size.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ROUTERS = ("softmax-topk", "topk-softmax", "sqrtgate")
SQRTGATE_EPS = 1e-30   # SPEC §6.6: sqrt(g + 1e-30)
SHARED_P = 0.5         # SPEC §6.6: sqrt(1 - p)·y + sqrt(p)·S(f), p = 1/2


def swiglu(f, w_gate_up, w_down):
    """SPEC §7.4: (silu(g) ⊙ u)·w_downᵀ with [g | u] = f·w_gate_upᵀ (gate first)."""
    g, u = (f @ w_gate_up.T).chunk(2, dim=-1)
    return (F.silu(g) * u) @ w_down.T


def top_k_mask(z, k):
    """(N, E) bool: the k largest logits of each row, ties to the lower expert index.

    A stable descending sort keeps equal values in index order, so the lower index comes first
    (torch.topk makes no such promise). No gradient: selection is piecewise constant."""
    order = torch.sort(z.detach(), dim=-1, descending=True, stable=True).indices[:, :k]
    return torch.zeros_like(z, dtype=torch.bool).scatter_(-1, order, True)


def router_gates(z, kind, k):
    """Dense (N, E) gate weights w (0 off the selection) and the selection mask, MODEL.md step 2."""
    selected = top_k_mask(z, k)
    if kind == "softmax-topk":   # OLMoE: softmax over all E, no renormalisation (SPEC §7.1)
        w = torch.softmax(z, dim=-1) * selected
    else:                        # softmax over the selected logits only (SPEC §6.6)
        g = torch.softmax(z.masked_fill(~selected, float("-inf")), dim=-1)
        if kind == "sqrtgate":
            w = torch.where(selected, torch.sqrt(g + SQRTGATE_EPS), torch.zeros_like(g))
        else:
            w = g
    return w, selected


def router_losses(z, selected, k):
    """Unweighted Switch term E·Σ_e (P_e/N)·(c_e/(N·K′)) and z term (1/N)·Σ_t LSE(z_t)² of one block.

    p is the softmax over all E experts whatever the router kind; the counts c are constants."""
    N, E = z.shape
    p = torch.softmax(z, dim=-1)
    counts = selected.sum(0).to(z.dtype)            # c_e, Σ c = N·K′, no gradient
    switch = E * ((p.sum(0) / N) * (counts / (N * k))).sum()
    lse = torch.logsumexp(z, dim=-1)                # max-subtracted
    return switch, lse.pow(2).mean()


class MoE(nn.Module):
    """Router, E SwiGLU experts stored as stacks, optional shared expert (MODEL.md "Tensors")."""

    def __init__(self, C, E, Fe, routed_k, kind, shared):
        super().__init__()
        if kind not in ROUTERS:
            raise ValueError(f"unknown router {kind!r}")
        self.kind, self.k = kind, routed_k
        self.router = nn.Parameter(torch.zeros(E, C))
        self.w_gate_up = nn.Parameter(torch.zeros(E, 2 * Fe, C))
        self.w_down = nn.Parameter(torch.zeros(E, C, Fe))
        if shared:
            self.shared = SharedExpert(C, Fe)
        self.has_shared = shared

    def forward(self, f):
        """f (N, C) -> (MoE(f) (N, C), unweighted switch loss, unweighted z value)."""
        z = f @ self.router.T                                        # (N, E)
        w, selected = router_gates(z, self.kind, self.k)
        # Dropless and dense: every expert sees every row and unselected pairs get weight 0,
        # which contributes nothing to the value or to any gradient.
        h = torch.einsum("nc,ehc->enh", f, self.w_gate_up)          # (E, N, 2Fe)
        g, u = h.chunk(2, dim=-1)
        experts = torch.einsum("enh,ech->enc", F.silu(g) * u, self.w_down)  # (E, N, C)
        y = torch.einsum("ne,enc->nc", w, experts)
        if self.has_shared:
            s = self.shared(f)
            if self.kind == "sqrtgate":
                y = math.sqrt(1 - SHARED_P) * y + math.sqrt(SHARED_P) * s
            else:
                y = y + s
        switch, zval = router_losses(z, selected, self.k)
        return y, switch, zval


class SharedExpert(nn.Module):
    def __init__(self, C, Fe):
        super().__init__()
        self.w_gate_up = nn.Parameter(torch.zeros(2 * Fe, C))
        self.w_down = nn.Parameter(torch.zeros(C, Fe))

    def forward(self, f):
        return swiglu(f, self.w_gate_up, self.w_down)
