#!/usr/bin/python3
"""Training throughput of PyTorch on the CPU for Squall's reference configuration.

The model is squall_ref's (the same architecture Squall trains), run in float32 with PyTorch's
own AdamW and gradient clipping, so Squall's tokens/s can be put beside PyTorch's on the same
machine in the same session.

Usage: /usr/bin/python3 tools/reference/throughput.py [--threads N] [--steps N] [--warmup N] [--norm rmsnorm]
Prints one line: pytorch_tokens_per_s=<number> with the configuration and torch version, then
pytorch_blas=<kind> <library>: the BLAS this process really mapped (see loaded_blas).
"""

import argparse
import json
import os
import re
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import squall_optim  # noqa: E402
import squall_ref  # noqa: E402  (sets float64 as the default dtype; the model is cast below)

REFERENCE = dict(vocab_size=256, d_model=256, n_layers=4, n_heads=4, n_kv_heads=4, ffn_hidden=704, seq_len=256,
                 placement="pre", attn_norm="none", tied_embeddings=True, norm_eps=1e-5, rope_base=10000.0,
                 alpha_attn=0.5, alpha_ffn=0.5, alpha_final=0.5, derf_shift=0.0, embed_scale=None,
                 bhyt_kappa=10.0, bhyt_lambda_in=2.0, bhyt_lambda_post=1.0, bhyt_refresh=0,
                 branch_scale=1.0)  # AdamW runs leave the residual branches unscaled, as Squall does

DEFAULT_BATCH = 8  # Squall's small preset


def loaded_blas():
    """The BLAS library mapped into this process, as (kind, path).

    Debian's python3-torch calls the generic BLAS interface (libblas.so.3), so the library behind it
    is whatever the libblas.so.3 alternative points to: OpenBLAS (about 100 GFLOP/s on two cores) or
    the reference BLAS (ten times slower). The memory map says which one was loaded, whatever the
    build configuration claims. A wheel that links MKL or OpenBLAS statically shows neither.
    """
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and "/" in fields[5]:
                paths.add(os.path.realpath(fields[5]))
    for kind, marker in (("openblas", "openblas"), ("mkl", "libmkl"), ("blis", "blis"), ("atlas", "atlas")):
        hits = sorted(p for p in paths if marker in os.path.basename(p) or marker + "/" in p or "/" + marker in p)
        if hits:
            return kind, hits[0]
    generic = sorted(p for p in paths if os.path.basename(p).startswith("libblas.so"))
    if generic:
        return "reference", generic[0]
    return "unknown", "no BLAS library mapped (linked into libtorch itself?)"


def build_blas():
    """What the torch build says about BLAS (BLAS_INFO in torch.__config__.show()), for comparison."""
    found = re.search(r"BLAS_INFO=([\w-]+)", torch.__config__.show())
    if found:
        return found.group(0)
    return "BLAS_INFO not reported"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    ap.add_argument("--norm", default="rmsnorm")
    ap.add_argument("--blas-only", action="store_true", help="print the pytorch_blas line and exit")
    args = ap.parse_args()
    if args.blas_only:
        torch.ones(64, 64) @ torch.ones(64, 64)
        kind, library = loaded_blas()
        print(f"pytorch_blas={kind} {library} (torch build: {build_blas()})")
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    cfg = squall_ref.model_config(json.dumps(dict(REFERENCE, norm=args.norm)))
    model = squall_ref.Squall(cfg).float()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.02)
            else:
                p.fill_(1.0)
    model.refresh_c_attn()
    # Weight decay where Squall's AdamW applies it: the projection matrices and an untied lm_head.
    def decayed(name):
        return squall_optim.MATRICES.search(name) or squall_optim.LM_HEAD.search(name)
    decay = [p for n, p in model.named_parameters() if decayed(n)]
    other = [p for n, p in model.named_parameters() if not decayed(n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    B, T = args.batch, cfg.seq_len
    tokens = torch.randint(0, 256, (B, T))
    targets = torch.randint(0, 256, (B, T))

    def step():
        opt.zero_grad(set_to_none=True)
        _, loss, _, _ = model(tokens, targets)  # logits, loss, and the MoE terms a dense model leaves at 0
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch_tokens_per_s={B * T * args.steps / seconds:.0f} (torch {torch.__version__}, {args.threads} threads, "
          f"{args.norm}, d={cfg.d_model}, L={cfg.n_layers}, T={T}, batch {B}, {args.steps} steps in {seconds:.1f} s)")
    kind, library = loaded_blas()
    print(f"pytorch_blas={kind} {library} (torch build: {build_blas()})")


if __name__ == "__main__":
    main()
