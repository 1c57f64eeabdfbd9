#!/usr/bin/python3
"""Independent PyTorch reference for Squall's model family, in float64.

Written from docs/MODEL.md and SPEC.md only. For every case directory given on the command line:

    CASE_DIR/checkpoint.safetensors   parameters + metadata model_config / train_config (JSON)
    CASE_DIR/batch.safetensors        tokens, targets: int (B, T)
 -> CASE_DIR/reference.safetensors    logits F64 (B*T, V), loss F64 (1), grad.<param> F64,
                                      losses F64 (10): the losses of 10 AdamW steps on that batch

Usage: /usr/bin/python3 squall_ref.py CASE_DIR [CASE_DIR ...]
"""

import json
import math
import re
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

N_TRAIN_STEPS = 10
BHYT_EPS = 1e-6  # SPEC §4.1 / §4.5: fixed, not norm_eps


class CaseError(Exception):
    """A problem with a case (bad file, unknown config value, ...): reported in one line."""


# ------------------------------------------------------------------------------------------------
# safetensors, by hand: u64 LE header length N, N bytes of JSON header, then the raw LE data
# ------------------------------------------------------------------------------------------------

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}


def read_safetensors(path):
    """Returns ({name: torch tensor}, {metadata key: str})."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise CaseError(f"cannot read {path}: {e.strerror}")
    if len(raw) < 8:
        raise CaseError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise CaseError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except ValueError as e:
        raise CaseError(f"{path}: bad JSON header ({e})")
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            raise CaseError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        dtype = np.dtype(DTYPES[info["dtype"]])
        shape = [int(s) for s in info["shape"]]
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data) or end - begin != dtype.itemsize * math.prod(shape):
            raise CaseError(f"{path}: tensor {name} has bad data_offsets {[begin, end]}")
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = torch.from_numpy(array.astype(dtype.newbyteorder("=")))  # copies
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: float32/float64 tensor}; the header is padded with spaces to a multiple of 8."""
    names = {torch.float32: "F32", torch.float64: "F64"}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        dtype = names[t.dtype]
        blob = t.detach().contiguous().numpy().astype(DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ------------------------------------------------------------------------------------------------
# Configuration (MODEL.md "Configuration keys")
# ------------------------------------------------------------------------------------------------

NORMS = ("layernorm", "rmsnorm", "dyt", "derf", "bhyt", "bhyt-star")
PLACEMENTS = ("pre", "post", "hybridnorm", "hybridnorm-star")
ATTN_NORMS = ("none", "qk", "qkv")
SCHEDULES = ("cosine", "linear", "constant")


class Config:
    """The JSON object as attributes, with the keys checked."""

    def __init__(self, text, what, required):
        try:
            values = json.loads(text)
        except (TypeError, ValueError):
            raise CaseError(f"checkpoint metadata {what} is missing or not JSON")
        missing = [k for k in required if k not in values]
        if missing:
            raise CaseError(f"{what} lacks {', '.join(missing)}")
        self.__dict__.update(values)


def model_config(text):
    c = Config(text, "model_config", [
        "vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "ffn_hidden", "seq_len",
        "norm", "placement", "attn_norm", "tied_embeddings", "norm_eps", "rope_base",
        "bhyt_kappa", "bhyt_refresh"])
    for key, allowed in (("norm", NORMS), ("placement", PLACEMENTS), ("attn_norm", ATTN_NORMS)):
        if getattr(c, key) not in allowed:
            raise CaseError(f"unknown {key} {getattr(c, key)!r} (expected one of {allowed})")
    if c.d_model % c.n_heads or (c.d_model // c.n_heads) % 2:
        raise CaseError(f"d_model {c.d_model} / n_heads {c.n_heads} is not an even head size")
    c.head_dim = c.d_model // c.n_heads
    if getattr(c, "embed_scale", None) is None:  # null: on for dyt and derf, off otherwise
        c.embed_scale = c.norm in ("dyt", "derf")
    return c


def train_config(text):
    c = Config(text, "train_config", [
        "steps", "lr", "min_lr_fraction", "warmup_steps", "schedule", "beta1", "beta2",
        "adam_eps", "weight_decay", "grad_clip", "accum_steps"])
    if c.schedule not in SCHEDULES:
        raise CaseError(f"unknown schedule {c.schedule!r} (expected one of {SCHEDULES})")
    return c


# ------------------------------------------------------------------------------------------------
# Norms, one small module per kind (MODEL.md "Norm parameters by kind"); x is (..., d)
# ------------------------------------------------------------------------------------------------

class LayerNorm(nn.Module):  # SPEC §1.1: biased variance, eps inside the square root
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        return self.weight * (x - mu) * torch.rsqrt(var + self.eps) + self.bias


class RMSNorm(nn.Module):  # SPEC §1.1, no bias
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class DyT(nn.Module):  # SPEC §2.1, LLaMA variant: scalar alpha, no beta
    def __init__(self, d, alpha0):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((1,), float(alpha0)))
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * torch.tanh(self.alpha * x)


class Derf(nn.Module):  # SPEC §3.1: scalar alpha and shift, no beta
    def __init__(self, d, alpha0, shift0):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((1,), float(alpha0)))
        self.shift = nn.Parameter(torch.full((1,), float(shift0)))
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * torch.erf(self.alpha * x + self.shift)


class BHyT(nn.Module):
    """SPEC §4.1: weight ⊙ tanh(lambda·rho·x), rho = kappa⁻¹·(s² + 1e-6)^(-1/2).

    s² is the norm's own exact statistic mean_j x_j² unless the caller passes the Pre-Norm
    FFN-side approximation ŝ² (Block.approx_mean_square). Serves both bhyt and bhyt-star.
    """

    def __init__(self, d, kappa, lambda0):
        super().__init__()
        self.kappa = kappa
        self.register_parameter("lambda", nn.Parameter(torch.full((1,), float(lambda0))))
        self.weight = nn.Parameter(torch.ones(d))

    @property
    def lam(self):  # the parameter is named "lambda" (MODEL.md), a Python keyword
        return getattr(self, "lambda")

    def forward(self, x, mean_square=None):
        if mean_square is None:
            mean_square = x.pow(2).mean(-1, keepdim=True)
        rho = torch.rsqrt(mean_square + BHYT_EPS) / self.kappa
        return self.weight * torch.tanh(self.lam * rho * x)


def make_norm(cfg, where):
    """where: 'attn', 'ffn' or 'final' (which alpha0 / lambda0 to start from; values are then
    overwritten by the checkpoint anyway)."""
    C = cfg.d_model
    kind = cfg.norm
    if where == "final" and kind in ("bhyt", "bhyt-star"):
        kind = "rmsnorm"  # SPEC §4.1 step 6
    if kind == "layernorm":
        return LayerNorm(C, cfg.norm_eps)
    if kind == "rmsnorm":
        return RMSNorm(C, cfg.norm_eps)
    alpha0 = getattr(cfg, f"alpha_{where}", 0.5)
    if kind == "dyt":
        return DyT(C, alpha0)
    if kind == "derf":
        return Derf(C, alpha0, getattr(cfg, "derf_shift", 0.0))
    lambda0 = getattr(cfg, "bhyt_lambda_in" if where == "attn" else "bhyt_lambda_post", 1.0)
    return BHyT(C, cfg.bhyt_kappa, lambda0)


# ------------------------------------------------------------------------------------------------
# Attention with RoPE (SPEC §8.1, §8.3; QK/QKV-Norm SPEC §5.1) and the SwiGLU FFN (SPEC §7.4)
# ------------------------------------------------------------------------------------------------

class RoPE(nn.Module):
    """Half-split layout: pair (x_i, x_{i+hd/2}) at position p rotated by p·base^(-2i/hd)."""

    def __init__(self, head_dim, max_len, base):
        super().__init__()
        i = torch.arange(head_dim // 2, dtype=torch.float64)
        theta = torch.outer(torch.arange(max_len, dtype=torch.float64), base ** (-2 * i / head_dim))
        self.register_buffer("cos", torch.cos(theta))  # (max_len, hd/2)
        self.register_buffer("sin", torch.sin(theta))

    def forward(self, x):  # x: (B, T, heads, hd), position = index along T
        T, half = x.shape[1], x.shape[-1] // 2
        cos, sin = self.cos[:T, None, :], self.sin[:T, None, :]
        x1, x2 = x[..., :half], x[..., half:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, H, Hkv, hd = cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.n_heads, self.n_kv_heads, self.head_dim = H, Hkv, hd
        self.wq = nn.Parameter(torch.zeros(H * hd, C))
        self.wk = nn.Parameter(torch.zeros(Hkv * hd, C))
        self.wv = nn.Parameter(torch.zeros(Hkv * hd, C))
        self.wo = nn.Parameter(torch.zeros(C, H * hd))
        if cfg.attn_norm in ("qk", "qkv"):  # per-head RMSNorm over hd, gains shared by all heads
            self.q_norm = RMSNorm(hd, cfg.norm_eps)
            self.k_norm = RMSNorm(hd, cfg.norm_eps)
        if cfg.attn_norm == "qkv":
            self.v_norm = RMSNorm(hd, cfg.norm_eps)
        self.attn_norm = cfg.attn_norm
        # GQA: query head h reads kv head floor(h·Hkv/H)
        self.register_buffer("kv_head", torch.arange(H) * Hkv // H)

    def forward(self, a, rope):
        B, T, _ = a.shape
        q = (a @ self.wq.T).view(B, T, self.n_heads, self.head_dim)
        k = (a @ self.wk.T).view(B, T, self.n_kv_heads, self.head_dim)
        v = (a @ self.wv.T).view(B, T, self.n_kv_heads, self.head_dim)
        if self.attn_norm in ("qk", "qkv"):
            q, k = self.q_norm(q), self.k_norm(k)
        if self.attn_norm == "qkv":
            v = self.v_norm(v)
        q, k = rope(q), rope(k)
        k, v = k[:, :, self.kv_head], v[:, :, self.kv_head]          # (B, T, H, hd)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))              # (B, H, T, hd)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        future = torch.ones(T, T, dtype=torch.bool).triu(1)
        p = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        o = (p @ v).transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim)
        return o @ self.wo.T

    @torch.no_grad()
    def c_attn(self, seq_len):
        """SPEC §4.1 step 4: ‖W_V·W_O‖_F² / (T·C), W_V expanded to all query heads.

        In Linear layout the paper's W_V·W_O is (wo · wv_expanded)ᵀ; the norm is the same."""
        C = self.wo.shape[0]
        wv = self.wv.view(self.n_kv_heads, self.head_dim, C)[self.kv_head].reshape(-1, C)
        return (self.wo @ wv).pow(2).sum() / (seq_len * C)


class FFN(nn.Module):  # SwiGLU: rows 0..F-1 of w_gate_up are the gate, F..2F-1 the up projection
    def __init__(self, cfg):
        super().__init__()
        self.w_gate_up = nn.Parameter(torch.zeros(2 * cfg.ffn_hidden, cfg.d_model))
        self.w_down = nn.Parameter(torch.zeros(cfg.d_model, cfg.ffn_hidden))

    def forward(self, f):
        g, u = (f @ self.w_gate_up.T).chunk(2, dim=-1)
        return (F.silu(g) * u) @ self.w_down.T


# ------------------------------------------------------------------------------------------------
# Blocks (MODEL.md "Blocks by placement")
# ------------------------------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        kind = cfg.placement
        if kind == "hybridnorm-star":
            kind = "pre" if layer == 0 else "hybridnorm"
        self.attn = Attention(cfg)
        self.ffn = FFN(cfg)
        if kind != "hybridnorm":
            self.attn_norm = make_norm(cfg, "attn")
        self.ffn_norm = make_norm(cfg, "ffn")
        self.body = {"pre": self.pre, "post": self.post, "hybridnorm": self.hybridnorm}[kind]
        # SPEC §4.1/§4.3: only a Pre-Norm block under plain bhyt approximates the FFN-side statistic
        self.bhyt_var_approx = cfg.norm == "bhyt" and kind == "pre"
        self.kappa = cfg.bhyt_kappa
        self.register_buffer("c_attn", torch.zeros(()))  # model state, refreshed by the trainer

    def forward(self, x, rope):
        return self.body(x, rope)

    def pre(self, x, rope):
        a = self.attn_norm(x)
        h = x + self.attn(a, rope)
        if self.bhyt_var_approx:
            f = self.ffn_norm(h, mean_square=self.approx_mean_square(x))
        else:
            f = self.ffn_norm(h)
        return h + self.ffn(f)

    def post(self, x, rope):
        h = x + self.attn(x, rope)
        a = self.attn_norm(h)
        f = a + self.ffn(a)
        return self.ffn_norm(f)

    def hybridnorm(self, x, rope):
        h = x + self.attn(x, rope)
        f = self.ffn_norm(h)
        return f + self.ffn(f)

    def approx_mean_square(self, x):
        """SPEC §4.1 step 4: ŝ² = mean_j x_j² (block input, NOT detached) + c_attn·λ̄₁²/κ²,
        λ̄₁ = stop-grad(λ₁) of the attention-side norm (SPEC §4.3); c_attn is a constant buffer."""
        lam1 = self.attn_norm.lam.detach()
        return x.pow(2).mean(-1, keepdim=True) + self.c_attn * lam1.pow(2) / self.kappa ** 2


# ------------------------------------------------------------------------------------------------
# The model (MODEL.md "Tensors", "Forward")
# ------------------------------------------------------------------------------------------------

class Squall(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        V, C = cfg.vocab_size, cfg.d_model
        self.tok_emb = nn.Parameter(torch.zeros(V, C))
        if cfg.embed_scale:
            self.emb_scale = nn.Parameter(torch.full((1,), math.sqrt(C)))
        self.layers = nn.ModuleList(Block(cfg, l) for l in range(cfg.n_layers))
        if cfg.placement != "post":  # post blocks end normalised: no final norm
            self.final_norm = make_norm(cfg, "final")
        if not cfg.tied_embeddings:
            self.lm_head = nn.Parameter(torch.zeros(V, C))
        self.rope = RoPE(cfg.head_dim, cfg.seq_len, cfg.rope_base)

    def forward(self, tokens, targets):
        """tokens, targets: long (B, T). Returns logits (B·T, V) and the mean cross-entropy."""
        x = self.tok_emb[tokens]
        if self.cfg.embed_scale:
            x = x * self.emb_scale
        for block in self.layers:
            x = block(x, self.rope)
        if self.cfg.placement != "post":
            x = self.final_norm(x)
        head = self.tok_emb if self.cfg.tied_embeddings else self.lm_head
        logits = (x @ head.T).reshape(-1, self.cfg.vocab_size)
        return logits, F.cross_entropy(logits, targets.reshape(-1))

    @torch.no_grad()
    def refresh_c_attn(self):  # MODEL.md: from wv, wo, at step 0 and every bhyt_refresh steps
        for block in self.layers:
            block.c_attn.copy_(block.attn.c_attn(self.cfg.seq_len))


# ------------------------------------------------------------------------------------------------
# Training step (MODEL.md "Training step")
# ------------------------------------------------------------------------------------------------

DECAYED = re.compile(r"(attn\.(wq|wk|wv|wo)|ffn\.(w_gate_up|w_down)|lm_head)$")


def learning_rate(s, tc):
    """Step s, 0-based: linear warm-up lr·(s+1)/W, then cosine / linear decay to lr·min_lr_fraction
    (constant: lr after the warm-up)."""
    W = tc.warmup_steps
    if s < W:
        return tc.lr * (s + 1) / W
    if tc.schedule == "constant":
        return tc.lr
    floor = tc.lr * tc.min_lr_fraction
    progress = min(1.0, (s - W) / max(1, tc.steps - W))
    if tc.schedule == "cosine":
        return floor + (tc.lr - floor) * (1 + math.cos(math.pi * progress)) / 2
    return floor + (tc.lr - floor) * (1 - progress)


def bhyt_refresh_interval(cfg, tc):
    return cfg.bhyt_refresh if cfg.bhyt_refresh > 0 else min(max(tc.steps // 50, 1), 1000)


def loss_and_grads(model, tokens, targets):
    params = [p for _, p in model.named_parameters()]
    logits, loss = model(tokens, targets)
    grads = torch.autograd.grad(loss, params)
    return logits.detach(), loss.detach(), grads


def train(model, tokens, targets, tc, n_steps=N_TRAIN_STEPS):
    """n_steps AdamW steps on the same batch, from step 0. Returns the loss of each step's forward,
    and (logits, loss, grads) of step 0, i.e. of the checkpoint's weights.

    accum_steps micro-batches of equal size, each loss divided by accum_steps, sum to the mean
    loss of the whole batch, so the whole batch is used in one piece."""
    named = list(model.named_parameters())
    decay = [tc.weight_decay if DECAYED.search(name) else 0.0 for name, _ in named]
    m = [torch.zeros_like(p) for _, p in named]
    v = [torch.zeros_like(p) for _, p in named]
    refresh = bhyt_refresh_interval(model.cfg, tc)
    b1, b2 = tc.beta1, tc.beta2
    losses, first = [], None
    for s in range(n_steps):
        if s % refresh == 0:
            model.refresh_c_attn()
        logits, loss, grads = loss_and_grads(model, tokens, targets)
        losses.append(loss.item())
        if s == 0:
            first = (logits, loss, grads)  # new tensors, untouched by the update
        norm = math.sqrt(sum(g.pow(2).sum().item() for g in grads))  # global, every parameter
        scale = 1.0
        if tc.grad_clip and tc.grad_clip > 0 and norm > 0:
            scale = min(1.0, tc.grad_clip / norm)
        lr, t = learning_rate(s, tc), s + 1
        with torch.no_grad():
            for (_, p), g, m_, v_, wd in zip(named, grads, m, v, decay):
                g = g * scale
                m_.mul_(b1).add_((1 - b1) * g)
                v_.mul_(b2).add_((1 - b2) * g * g)
                m_hat = m_ / (1 - b1 ** t)
                v_hat = v_ / (1 - b2 ** t)
                p.sub_(lr * (m_hat / (v_hat.sqrt() + tc.adam_eps) + wd * p))
    return losses, first


# ------------------------------------------------------------------------------------------------
# One case
# ------------------------------------------------------------------------------------------------

NOT_PARAMETERS = re.compile(r"(rope\.cos|rope\.sin|layers\.\d+\.c_attn|.+\.adam_[mv])$")


def load_model(path):
    tensors, meta = read_safetensors(path)
    cfg = model_config(meta.get("model_config"))
    tc = train_config(meta.get("train_config"))
    model = Squall(cfg)
    params = dict(model.named_parameters())
    unknown = sorted(n for n in tensors if n not in params and not NOT_PARAMETERS.match(n))
    if unknown:
        raise CaseError(f"{path}: tensors not in this configuration: {', '.join(unknown[:5])}")
    missing = sorted(n for n in params if n not in tensors)
    if missing:
        raise CaseError(f"{path}: missing parameters: {', '.join(missing[:5])}")
    with torch.no_grad():
        for name, p in params.items():
            t = tensors[name]
            if tuple(t.shape) != tuple(p.shape) or not t.is_floating_point():
                raise CaseError(f"{path}: {name} is {t.dtype} {list(t.shape)}, "
                                     f"expected float {list(p.shape)}")
            p.copy_(t.double())
    return model, cfg, tc


def load_batch(path, cfg):
    tensors, _ = read_safetensors(path)
    for name in ("tokens", "targets"):
        if name not in tensors:
            raise CaseError(f"{path}: no tensor '{name}'")
    tokens, targets = tensors["tokens"], tensors["targets"]
    if tokens.dim() != 2 or tokens.shape != targets.shape or tokens.is_floating_point():
        raise CaseError(f"{path}: tokens/targets must be integer (B, T) of the same shape")
    if tokens.shape[1] > cfg.seq_len:
        raise CaseError(f"{path}: T = {tokens.shape[1]} exceeds seq_len {cfg.seq_len}")
    for name, t in (("tokens", tokens), ("targets", targets)):
        if t.numel() and (t.min() < 0 or t.max() >= cfg.vocab_size):
            raise CaseError(f"{path}: {name} outside [0, {cfg.vocab_size})")
    return tokens.long(), targets.long()


def run_case(case_dir):
    start = time.time()
    model, cfg, tc = load_model(f"{case_dir}/checkpoint.safetensors")
    tokens, targets = load_batch(f"{case_dir}/batch.safetensors", cfg)
    names = [n for n, _ in model.named_parameters()]

    c_attn = [block.attn.c_attn(cfg.seq_len).item() for block in model.layers]  # for the record
    losses, (logits, loss, grads) = train(model, tokens, targets, tc)  # step 0 = the checkpoint

    out = {"logits": logits, "loss": loss.reshape(1)}
    out.update((f"grad.{n}", g) for n, g in zip(names, grads))
    out["losses"] = torch.tensor(losses)
    write_safetensors(f"{case_dir}/reference.safetensors", out, metadata={
        "format": "squall-reference-1", "logits_dtype": "F64",
        "c_attn": json.dumps(c_attn if cfg.norm == "bhyt" else [])})
    print(f"{case_dir}: {cfg.norm}/{cfg.placement}/{cfg.attn_norm} B={tokens.shape[0]} "
          f"T={tokens.shape[1]} loss {loss.item():.6f} -> {losses[-1]:.6f} after "
          f"{len(losses)} steps ({time.time() - start:.2f} s)", flush=True)


def main(argv):
    if not argv:
        print("usage: squall_ref.py CASE_DIR [CASE_DIR ...]", file=sys.stderr)
        return 2
    for case_dir in argv:
        try:
            run_case(case_dir.rstrip("/"))
        except CaseError as e:
            print(f"squall_ref: {case_dir}: {e}", file=sys.stderr)
            return 1
        except Exception as e:  # anything unexpected still gets one line
            print(f"squall_ref: {case_dir}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
