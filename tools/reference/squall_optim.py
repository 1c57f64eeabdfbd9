"""Optimizers of the training config (MODEL.md "Training step", "Optimizers"; SPEC §6.1-§6.5), in
float64. Part of the PyTorch reference; written from MODEL.md and SPEC.md.

adamw: AdamW on every tensor. muon: Muon (Nesterov momentum, NS5) on the projection matrices,
AdamW on the rest. hyperp: MuonH on the same matrices and Adam on the sphere for an untied
lm_head, every tensor keeping its Frobenius norm, with HyperP's transferred learning rate.
"""

import math
import re

import torch

OPTIMIZERS = ("adamw", "muon", "hyperp")

# Projection matrices: Muon/MuonH under muon and hyperp, decayed under AdamW (with lm_head).
MATRICES = re.compile(r"(attn\.(wq|wk|wv|wo)|ffn\.(w_gate_up|w_down)"
                      r"|moe\.(router|w_gate_up|w_down|shared\.w_gate_up|shared\.w_down))$")
LM_HEAD = re.compile(r"^lm_head$")

# SPEC §6.3: the five per-step (a, b, c) of Newton–Schulz, from Dion.
NS5_COEFFICIENTS = ((4.0848, -6.8946, 2.9270), (3.9505, -6.3029, 2.6377), (3.7418, -5.5913, 2.3037),
                    (2.8769, -3.1427, 1.2046), (2.8366, -3.0525, 1.2012))
NS5_EPS = 1e-7       # X₀ = G / (‖G‖_F + 1e-7)
SPHERE_EPS = 1e-8    # SPEC §6.2, the group epsilon in max(‖·‖_F, ε)
HYPERP_FLOOR = 0.1   # SPEC §6.5: linear decay to 0.1·η, no warm-up


def ns5(g):
    """SPEC §6.3 on a 2-D matrix: approximately the orthogonal factor U·Vᵀ of g = U·Σ·Vᵀ.

    Transposed first when rows > cols so that the Gram matrix X·Xᵀ is the small one."""
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / (x.norm() + NS5_EPS)
    for a, b, c in NS5_COEFFICIENTS:
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def orthogonalize(u):
    """NS5 of a matrix, or of each expert's 2-D slice of a stack (E, rows, cols)."""
    return torch.stack([ns5(s) for s in u]) if u.dim() == 3 else ns5(u)


def schedule_factor(s, tc):
    """lr(s)/lr at step s (0-based): linear warm-up (s+1)/W, then cosine / linear decay to
    min_lr_fraction over the remaining steps (constant: 1 after the warm-up)."""
    W = tc.warmup_steps
    if s < W:
        return (s + 1) / W
    if tc.schedule == "constant":
        return 1.0
    floor = tc.min_lr_fraction
    progress = min(1.0, (s - W) / max(1, tc.steps - W))
    if tc.schedule == "cosine":
        return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2
    return floor + (1 - floor) * (1 - progress)


def hyperp_factor(s, tc):
    """SPEC §6.5 schedule: no warm-up, linear from η to 0.1·η over the run's steps."""
    progress = min(1.0, s / max(1, tc.steps))
    return HYPERP_FLOOR + (1 - HYPERP_FLOOR) * (1 - progress)


def hyperp_lr(tc, n_layers, seq_len):
    """SPEC §6.5 transfer rule η = lr·sqrt(B/B₀)·sqrt(d₀/d)·(T/T₀)^(−0.32), B the tokens per
    optimizer step (batch rows · seq_len · accum_steps), T = steps·B the run's tokens."""
    B = tc.batch * seq_len * tc.accum_steps
    T = tc.steps * B
    return (tc.lr * math.sqrt(B / tc.hyperp_base_batch) * math.sqrt(tc.hyperp_base_depth / n_layers)
            * (T / tc.hyperp_base_tokens) ** -0.32)


class Optimizer:
    """One update rule per parameter, chosen by name:

    adamw   AdamW, weight decay `weight_decay` on the matrices and lm_head, 0 elsewhere
    muon    Muon (MODEL.md "Optimizers", `muon`)
    muonh   Muon direction, then a step of relative size η on the sphere of radius ‖W‖_F
    sphere  Adam direction m̂/(sqrt(v̂)+eps), same sphere step (untied lm_head under hyperp)
    """

    def __init__(self, named_params, tc, n_layers, seq_len):
        self.tc = tc
        self.params = [p for _, p in named_params]
        kind = tc.optimizer
        self.rules, self.decay = [], []
        for name, p in named_params:
            if kind != "adamw" and MATRICES.search(name):
                rule = "muon" if kind == "muon" else "muonh"
            elif kind == "hyperp" and LM_HEAD.search(name):
                rule = "sphere"
            else:
                rule = "adamw"
            decayed = MATRICES.search(name) or LM_HEAD.search(name)
            self.rules.append(rule)
            # SPEC §6.2: HyperP forces weight decay to 0 everywhere
            self.decay.append(tc.weight_decay if decayed and kind != "hyperp" else 0.0)
        self.m = [torch.zeros_like(p) for p in self.params]   # Adam first moment or Muon momentum
        self.v = [torch.zeros_like(p) if r in ("adamw", "sphere") else None
                  for p, r in zip(self.params, self.rules)]
        self.eta = hyperp_lr(tc, n_layers, seq_len) if kind == "hyperp" else None

    def rates(self, s):
        """(AdamW rate, Muon rate) at step s."""
        tc = self.tc
        if tc.optimizer == "hyperp":
            eta = self.eta * hyperp_factor(s, tc)
            return eta, eta
        factor = schedule_factor(s, tc)
        return tc.lr * factor, getattr(tc, "muon_lr", 0.0) * factor

    @torch.no_grad()
    def step(self, grads, s):
        """One update from the (already clipped) gradients, at step s (0-based)."""
        tc = self.tc
        lr, muon_lr = self.rates(s)
        t, b1, b2, mu = s + 1, tc.beta1, tc.beta2, tc.muon_momentum
        for p, g, m, v, rule, wd in zip(self.params, grads, self.m, self.v, self.rules, self.decay):
            if rule in ("adamw", "sphere"):
                m.mul_(b1).add_((1 - b1) * g)
                v.mul_(b2).add_((1 - b2) * g * g)
                direction = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + tc.adam_eps)
                if rule == "adamw":
                    p.sub_(lr * (direction + wd * p))
                else:
                    sphere_step(p, direction, lr)
                continue
            m.mul_(mu).add_(g)
            o = orthogonalize(mu * m + g)                    # Nesterov
            if rule == "muon":
                rows, cols = p.shape[-2:]
                p.mul_(1 - muon_lr * wd).sub_(muon_lr * math.sqrt(max(1.0, rows / cols)) * o)
            else:
                sphere_step(p, o, muon_lr)


def sphere_step(p, o, eta):
    """SPEC §6.2: W ← W − η·R·O/max(‖O‖_F, ε), then back to radius R = ‖W‖_F (one norm over the
    whole tensor, a whole expert stack included)."""
    radius = p.norm()
    p.sub_(eta * radius * o / max(o.norm().item(), SPHERE_EPS))
    p.mul_(radius / max(p.norm().item(), SPHERE_EPS))
