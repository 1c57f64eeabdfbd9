#!/usr/bin/python3
"""Independent PyTorch reference for Squall's model family, in float64.

Written from docs/MODEL.md and docs/SPEC.md only. For every case directory given on the command line:

    CASE_DIR/checkpoint.safetensors   parameters + metadata model_config / train_config (JSON)
    CASE_DIR/batch.safetensors        tokens, targets: int (B, T)
 -> CASE_DIR/reference.safetensors    logits F64 (B*T, V), loss F64 (1), aux_loss, z_loss F64 (1),
                                      grad.<param> F64, losses F64 (10): the losses of 10 steps
                                      of the configured optimizer on that batch

The MoE sublayer is in squall_moe.py, the optimizers in squall_optim.py.

Usage: /usr/bin/python3 squall_ref.py CASE_DIR [CASE_DIR ...]
"""

import json
import math
import os
import re
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import squall_moe  # noqa: E402
import squall_optim  # noqa: E402

torch.set_default_dtype(torch.float64)

N_TRAIN_STEPS = 10
BHYT_EPS = 1e-6  # SPEC §4.1 / §4.5: fixed, not norm_eps


class CaseError(Exception):
    """A problem with a case (bad file, unknown config value, ...): reported in one line."""


# ------------------------------------------------------------------------------------------------
# safetensors, by hand: u64 LE header length N, N bytes of JSON header, then the raw LE data
# ------------------------------------------------------------------------------------------------

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}

# Checksums (Squall's SafeTensors.CHECKSUMS): metadata "crc32c" is a JSON object mapping each tensor
# to the CRC32C (Castagnoli) of its data bytes as 8 hex digits, and "__metadata__" to the CRC32C of
# the other metadata entries sorted by key, each as UTF-8 `key NUL value NUL`.
CHECKSUMS = "crc32c"

try:
    from crc32c import crc32c as _crc32c_native  # Debian's python3-crc32c (hardware CRC32C)
except ImportError:
    _crc32c_native = None


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = None


def crc32c(data):
    """CRC32C of a bytes-like object: the native module where installed, else a table in Python."""
    if _crc32c_native is not None:
        return _crc32c_native(bytes(data))
    global _CRC32C_TABLE
    if _CRC32C_TABLE is None:
        _CRC32C_TABLE = _crc32c_table()
    table, c = _CRC32C_TABLE, 0xFFFFFFFF
    for b in bytes(data):
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def verify_checksums(path, metadata, data, entries):
    """Raises CaseError naming the first tensor (or the metadata) whose bytes do not match; a file
    without checksums (written before Squall stored them) passes."""
    if CHECKSUMS not in metadata:
        return
    try:
        sums = json.loads(metadata[CHECKSUMS])
    except ValueError:
        raise CaseError(f"{path}: metadata '{CHECKSUMS}' is not JSON (damaged header)")
    canonical = b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                         for k, v in sorted(metadata.items()) if k != CHECKSUMS)
    checks = [("__metadata__", "the metadata", canonical)]
    checks += [(name, f"tensor '{name}'", data[begin:end]) for name, (begin, end) in entries.items()]
    for key, what, blob in checks:
        stored, computed = sums.get(key), "%08x" % crc32c(blob)
        if stored != computed:
            raise CaseError(f"{path}: {what} fails its CRC32C check (stored {stored}, computed {computed}):"
                            " the file is damaged")


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
    verify_checksums(path, metadata, data,
                     {name: tuple(info["data_offsets"]) for name, info in header.items()})
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
    """tensors: {name: float32/float64/int32/int64 tensor}; the header is padded with spaces to a
    multiple of 8."""
    names = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64"}
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
PLACEMENTS = ("pre", "post", "hybridnorm", "hybridnorm-star", "deepnorm", "mixln")
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
    moe_config(c)
    return c


def moe_config(c):
    """MODEL.md MoE keys. Absent keys: experts 0 (dense), no shared expert, moe_every 1,
    expert_hidden 0. top_k, router, aux_weight and z_weight have no default and are required
    once experts > 0."""
    c.experts = getattr(c, "experts", 0) or 0
    c.shared_expert = bool(getattr(c, "shared_expert", False))
    c.moe_every = getattr(c, "moe_every", 1)
    c.expert_hidden = getattr(c, "expert_hidden", 0) or 0
    if c.experts == 0:
        return
    missing = [k for k in ("top_k", "router", "aux_weight", "z_weight") if getattr(c, k, None) is None]
    if missing:
        raise CaseError(f"model_config with experts {c.experts} lacks {', '.join(missing)}")
    if c.router not in squall_moe.ROUTERS:
        raise CaseError(f"unknown router {c.router!r} (expected one of {squall_moe.ROUTERS})")
    c.routed_k = c.top_k - 1 if c.shared_expert else c.top_k  # K′, SPEC §6.6
    if not 1 <= c.routed_k <= c.experts:
        raise CaseError(f"top_k {c.top_k} gives {c.routed_k} routed experts of {c.experts}"
                        f"{' (one is the shared expert)' if c.shared_expert else ''}")
    if not isinstance(c.moe_every, int) or c.moe_every < 1:
        raise CaseError(f"moe_every {c.moe_every!r} is not a positive integer")
    if c.expert_hidden < 0:
        raise CaseError(f"expert_hidden {c.expert_hidden} is negative")
    if c.expert_hidden == 0:  # fine-grained: the active size of one dense FFN (SPEC §6.6)
        c.expert_hidden = max(1, c.ffn_hidden // c.top_k)


def is_moe_block(cfg, layer):
    return cfg.experts > 0 and (layer + 1) % cfg.moe_every == 0


def resolve_branch_scale(cfg, tc):
    """branch_scale: the configured number, else 1/sqrt(2L) under hyperp (depth-μP, SPEC §6.5),
    1 otherwise."""
    scale = getattr(cfg, "branch_scale", None)
    if scale is None:
        scale = 1 / math.sqrt(2 * cfg.n_layers) if tc.optimizer == "hyperp" else 1.0
    if not isinstance(scale, (int, float)) or not scale > 0:
        raise CaseError(f"branch_scale {scale!r} is not a positive number")
    cfg.branch_scale = float(scale)


def train_config(text):
    c = Config(text, "train_config", [
        "steps", "lr", "min_lr_fraction", "warmup_steps", "schedule", "beta1", "beta2",
        "adam_eps", "weight_decay", "grad_clip", "accum_steps"])
    if c.schedule not in SCHEDULES:
        raise CaseError(f"unknown schedule {c.schedule!r} (expected one of {SCHEDULES})")
    # MODEL.md "Optimizers": keys absent from an older train_config take these defaults
    c.optimizer = getattr(c, "optimizer", None) or "adamw"
    if c.optimizer not in squall_optim.OPTIMIZERS:
        raise CaseError(f"unknown optimizer {c.optimizer!r} (expected one of {squall_optim.OPTIMIZERS})")
    for key, default in (("muon_momentum", 0.95), ("hyperp_base_batch", 2 ** 21),
                         ("hyperp_base_depth", 8), ("hyperp_base_tokens", 10.4e9)):
        if getattr(c, key, None) is None:
            setattr(c, key, default)
    if c.optimizer == "muon" and getattr(c, "muon_lr", None) is None:
        raise CaseError("train_config with optimizer muon lacks muon_lr")
    if c.optimizer == "hyperp" and getattr(c, "batch", None) is None:
        raise CaseError("train_config with optimizer hyperp lacks batch (HyperP's tokens per step)")
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
    def __init__(self, C, hidden):
        super().__init__()
        self.w_gate_up = nn.Parameter(torch.zeros(2 * hidden, C))
        self.w_down = nn.Parameter(torch.zeros(C, hidden))

    def forward(self, f):
        return squall_moe.swiglu(f, self.w_gate_up, self.w_down)


# ------------------------------------------------------------------------------------------------
# Blocks (MODEL.md "Blocks by placement")
# ------------------------------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        kind = cfg.placement
        # w: the residual's weight in a post block, Norm(w·x + F(x)); 1 except under deepnorm
        self.residual_weight = 1.0
        if kind == "hybridnorm-star":
            kind = "pre" if layer == 0 else "hybridnorm"
        elif kind == "deepnorm":  # MODEL.md: post blocks with w = α = (2L)^(1/4) (SPEC §11.1)
            kind = "post"
            self.residual_weight = (2 * cfg.n_layers) ** 0.25
        elif kind == "mixln":  # post in the first floor(fraction·L) blocks, pre after (SPEC §11.2)
            post_blocks = math.floor(getattr(cfg, "mixln_post_fraction", 0.25) * cfg.n_layers)
            kind = "post" if layer < post_blocks else "pre"
        self.attn = Attention(cfg)
        if is_moe_block(cfg, layer):  # the MoE sublayer replaces the FFN
            self.moe = squall_moe.MoE(cfg.d_model, cfg.experts, cfg.expert_hidden, cfg.routed_k,
                                      cfg.router, cfg.shared_expert)
        else:
            self.ffn = FFN(cfg.d_model, cfg.ffn_hidden)
        self.is_moe = is_moe_block(cfg, layer)
        if kind != "hybridnorm":
            self.attn_norm = make_norm(cfg, "attn")
        self.ffn_norm = make_norm(cfg, "ffn")
        self.body = {"pre": self.pre, "post": self.post, "hybridnorm": self.hybridnorm}[kind]
        # SPEC §4.1/§4.3: only a Pre-Norm block under plain bhyt approximates the FFN-side statistic
        self.bhyt_var_approx = cfg.norm == "bhyt" and kind == "pre"
        self.kappa = cfg.bhyt_kappa
        self.branch_scale = cfg.branch_scale
        self.register_buffer("c_attn", torch.zeros(()))  # model state, refreshed by the trainer
        self.router_terms = None  # (switch, z) of the last forward, unweighted; MoE blocks only

    def forward(self, x, rope):
        return self.body(x, rope)

    def attention(self, a, rope):
        return self.branch_scale * self.attn(a, rope)

    def mlp(self, f):
        """s·FFN(f) or s·MoE(f); an MoE block keeps its router terms for the objective."""
        if not self.is_moe:
            return self.branch_scale * self.ffn(f)
        B, T, C = f.shape
        y, switch, zval = self.moe(f.reshape(B * T, C))
        self.router_terms = (switch, zval)
        return self.branch_scale * y.reshape(B, T, C)

    def pre(self, x, rope):
        a = self.attn_norm(x)
        h = x + self.attention(a, rope)
        if self.bhyt_var_approx:
            f = self.ffn_norm(h, mean_square=self.approx_mean_square(x))
        else:
            f = self.ffn_norm(h)
        return h + self.mlp(f)

    def post(self, x, rope):
        w = self.residual_weight
        h = w * x + self.attention(x, rope)
        a = self.attn_norm(h)
        f = w * a + self.mlp(a)
        return self.ffn_norm(f)

    def hybridnorm(self, x, rope):
        h = x + self.attention(x, rope)
        f = self.ffn_norm(h)
        return f + self.mlp(f)

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
        # post and deepnorm blocks end normalised: no final norm (mixln keeps it for its pre blocks)
        self.has_final_norm = cfg.placement not in ("post", "deepnorm")
        if self.has_final_norm:
            self.final_norm = make_norm(cfg, "final")
        if not cfg.tied_embeddings:
            self.lm_head = nn.Parameter(torch.zeros(V, C))
        self.rope = RoPE(cfg.head_dim, cfg.seq_len, cfg.rope_base)

    def forward(self, tokens, targets):
        """tokens, targets: long (B, T), one micro-batch. Returns logits (B·T, V), the mean
        cross-entropy, and the router losses γ·ΣL_switch and β·ΣL_z summed over MoE blocks
        (zero without MoE blocks); the training objective is the sum of the three."""
        x = self.tok_emb[tokens]
        if self.cfg.embed_scale:
            x = x * self.emb_scale
        aux = z_loss = torch.zeros(())
        for block in self.layers:
            x = block(x, self.rope)
            if block.is_moe:
                switch, zval = block.router_terms
                aux = aux + self.cfg.aux_weight * switch
                z_loss = z_loss + self.cfg.z_weight * zval
        if self.has_final_norm:
            x = self.final_norm(x)
        head = self.tok_emb if self.cfg.tied_embeddings else self.lm_head
        logits = (x @ head.T).reshape(-1, self.cfg.vocab_size)
        return logits, F.cross_entropy(logits, targets.reshape(-1)), aux, z_loss

    def router_z(self):
        """Unweighted mean_t LSE(z_t)² of each MoE block in the last forward (logged even at β = 0)."""
        return [block.router_terms[1].item() for block in self.layers if block.is_moe]

    @torch.no_grad()
    def refresh_c_attn(self):  # MODEL.md: from wv, wo, at step 0 and every bhyt_refresh steps
        for block in self.layers:
            block.c_attn.copy_(block.attn.c_attn(self.cfg.seq_len))


# ------------------------------------------------------------------------------------------------
# Training step (MODEL.md "Training step")
# ------------------------------------------------------------------------------------------------

def bhyt_refresh_interval(cfg, tc):
    return cfg.bhyt_refresh if cfg.bhyt_refresh > 0 else min(max(tc.steps // 50, 1), 1000)


def loss_and_grads(model, tokens, targets):
    """Gradients of the objective (cross-entropy + router losses); the losses come back apart."""
    params = [p for _, p in model.named_parameters()]
    logits, loss, aux, z_loss = model(tokens, targets)
    grads = torch.autograd.grad(loss + aux + z_loss, params)
    return logits.detach(), loss.detach(), aux.detach(), z_loss.detach(), grads


def train(model, tokens, targets, tc, n_steps=N_TRAIN_STEPS):
    """n_steps optimizer steps on the same batch, from step 0 with zero optimizer state. Returns
    the cross-entropy of each step's forward, and (logits, loss, aux, z_loss, grads, router_z) of
    step 0, i.e. of the checkpoint's weights (router_z: each MoE block's unweighted Z-value).

    The batch is one micro-batch. Every one of the accum_steps micro-batches of a step is this
    batch, so their mean losses divided by accum_steps sum to its own: one pass gives the step's
    gradient (with the router losses too, whose counts are per micro-batch)."""
    named = list(model.named_parameters())
    optimizer = squall_optim.Optimizer(named, tc, model.cfg.n_layers, model.cfg.seq_len)
    refresh = bhyt_refresh_interval(model.cfg, tc)
    losses, first = [], None
    for s in range(n_steps):
        if s % refresh == 0:
            model.refresh_c_attn()
        logits, loss, aux, z_loss, grads = loss_and_grads(model, tokens, targets)
        losses.append(loss.item())
        if s == 0:
            # new tensors, untouched by the update
            first = (logits, loss, aux, z_loss, grads, model.router_z())
        norm = math.sqrt(sum(g.pow(2).sum().item() for g in grads))  # global, every parameter
        scale = 1.0
        if tc.grad_clip and tc.grad_clip > 0 and norm > 0:
            scale = min(1.0, tc.grad_clip / norm)
        optimizer.step([g * scale for g in grads], s)
    return losses, first


# ------------------------------------------------------------------------------------------------
# One case
# ------------------------------------------------------------------------------------------------

NOT_PARAMETERS = re.compile(r"(rope\.cos|rope\.sin|layers\.\d+\.c_attn)$")


def is_optimizer_state(name, params):
    """`<parameter>.<word>` (adam_m, adam_v, a momentum buffer, ...): optimizer state, ignored."""
    head, _, tail = name.rpartition(".")
    return head in params and re.fullmatch(r"[a-z_]+", tail) is not None


def load_model(path):
    tensors, meta = read_safetensors(path)
    cfg = model_config(meta.get("model_config"))
    tc = train_config(meta.get("train_config"))
    resolve_branch_scale(cfg, tc)
    model = Squall(cfg)
    params = dict(model.named_parameters())
    unknown = sorted(n for n in tensors if n not in params and not NOT_PARAMETERS.match(n)
                     and not is_optimizer_state(n, params))
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
    losses, (logits, loss, aux, z_loss, grads, router_z) = train(model, tokens, targets, tc)

    out = {"logits": logits, "loss": loss.reshape(1),
           "aux_loss": aux.reshape(1), "z_loss": z_loss.reshape(1)}
    out.update((f"grad.{n}", g) for n, g in zip(names, grads))
    out["losses"] = torch.tensor(losses)
    write_safetensors(f"{case_dir}/reference.safetensors", out, metadata={
        "format": "squall-reference-1", "logits_dtype": "F64",
        "c_attn": json.dumps(c_attn if cfg.norm == "bhyt" else []),
        "router_z": json.dumps(router_z)})
    moe = (f" moe E={cfg.experts} K={cfg.top_k} {cfg.router}{'+shared' if cfg.shared_expert else ''}"
           f" aux {aux.item():.6f} z {z_loss.item():.6f}" if cfg.experts else "")
    print(f"{case_dir}: {cfg.norm}/{cfg.placement}/{cfg.attn_norm}{moe} {tc.optimizer} "
          f"B={tokens.shape[0]} T={tokens.shape[1]} loss {loss.item():.6f} -> {losses[-1]:.6f} "
          f"after {len(losses)} steps ({time.time() - start:.2f} s)", flush=True)


# ------------------------------------------------------------------------------------------------
# Writing a case (for self-checks): MODEL.md "Initialisation", with torch's generator, so the
# values follow MODEL.md's distributions and order but not Squall's random stream
# ------------------------------------------------------------------------------------------------

def init_order(model):
    """Parameter names in MODEL.md's draw order: tok_emb; per layer wq, wk, wv, wo, then the FFN
    or router, expert stacks, shared expert; lm_head last."""
    names = ["tok_emb"]
    for l, block in enumerate(model.layers):
        p = f"layers.{l}."
        names += [p + f"attn.{w}" for w in ("wq", "wk", "wv", "wo")]
        if block.is_moe:
            names += [p + f"moe.{w}" for w in ("router", "w_gate_up", "w_down")]
            if block.moe.has_shared:
                names += [p + "moe.shared.w_gate_up", p + "moe.shared.w_down"]
        else:
            names += [p + "ffn.w_gate_up", p + "ffn.w_down"]
    if not model.cfg.tied_embeddings:
        names.append("lm_head")
    return names


def truncated_normal(shape, sigma, generator):
    """normal(0, sigma) truncated at ±3 sigma, by redrawing the values outside."""
    x = torch.randn(shape, generator=generator)
    while True:
        outside = x.abs() > 3
        if not outside.any():
            return x * sigma
        x[outside] = torch.randn(int(outside.sum()), generator=generator)


@torch.no_grad()
def initialise(model, seed):
    """Input projections and tok_emb sigma, output projections (wo, every w_down) sigma/sqrt(2L),
    lm_head 1/sqrt(C); gains, biases and scalars keep their constructor values (MODEL.md)."""
    cfg = model.cfg
    sigma = cfg.init_std if getattr(cfg, "init_std", 0) else math.sqrt(2 / (5 * cfg.d_model))
    generator = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    for name in init_order(model):
        if name == "lm_head":
            std = 1 / math.sqrt(cfg.d_model)
        elif name.endswith(("attn.wo", "w_down")):
            std = sigma / math.sqrt(2 * cfg.n_layers)
        else:
            std = sigma
        params[name].copy_(truncated_normal(params[name].shape, std, generator))


def write_case(case_dir, model_cfg, train_cfg, batch, seed, jitter=0.4):
    """Writes case_dir/checkpoint.safetensors and batch.safetensors: a freshly initialised model
    of model_cfg (a dict), gains and scalars scaled by 1 + jitter·U(-1/2, 1/2) so every
    parameter matters, and `batch` rows of random tokens and targets of length seq_len."""
    os.makedirs(case_dir, exist_ok=True)
    meta = {"format": "squall-checkpoint-1", "step": "0",
            "model_config": json.dumps(model_cfg), "train_config": json.dumps(train_cfg)}
    cfg, tc = model_config(meta["model_config"]), train_config(meta["train_config"])
    resolve_branch_scale(cfg, tc)
    model = Squall(cfg)
    initialise(model, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name not in init_order(model):
                p.mul_(1 + jitter * (torch.rand(p.shape, generator=generator) - 0.5))
    write_safetensors(f"{case_dir}/checkpoint.safetensors", dict(model.named_parameters()), meta)
    shape = (batch, cfg.seq_len)
    write_safetensors(f"{case_dir}/batch.safetensors", {
        "tokens": torch.randint(cfg.vocab_size, shape, generator=generator, dtype=torch.int32),
        "targets": torch.randint(cfg.vocab_size, shape, generator=generator, dtype=torch.int32)})


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
