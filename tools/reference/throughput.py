#!/usr/bin/python3
"""Training throughput of PyTorch on the CPU for Squall's reference configuration.

The model is squall_ref's (the same architecture Squall trains), run in float32 with PyTorch's
own AdamW and gradient clipping, so Squall's tokens/s can be put beside PyTorch's on the same
machine in the same session.

Usage: /usr/bin/python3 tools/reference/throughput.py [--threads N] [--steps N] [--norm rmsnorm]
Prints one line: pytorch_tokens_per_s=<number> with the configuration and torch version.
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import squall_ref  # noqa: E402  (sets float64 as the default dtype; the model is cast below)

REFERENCE = dict(vocab_size=256, d_model=256, n_layers=4, n_heads=4, n_kv_heads=4, ffn_hidden=704, seq_len=256,
                 placement="pre", attn_norm="none", tied_embeddings=True, norm_eps=1e-5, rope_base=10000.0,
                 alpha_attn=0.5, alpha_ffn=0.5, alpha_final=0.5, derf_shift=0.0, embed_scale=None,
                 bhyt_kappa=10.0, bhyt_lambda_in=2.0, bhyt_lambda_post=1.0, bhyt_refresh=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--norm", default="rmsnorm")
    args = ap.parse_args()
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
    decay = [p for n, p in model.named_parameters() if squall_ref.DECAYED.search(n)]
    other = [p for n, p in model.named_parameters() if not squall_ref.DECAYED.search(n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    B, T = args.batch, cfg.seq_len
    tokens = torch.randint(0, 256, (B, T))
    targets = torch.randint(0, 256, (B, T))

    def step():
        opt.zero_grad(set_to_none=True)
        _, loss = model(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(f"pytorch_tokens_per_s={B * T * args.steps / seconds:.0f} (torch {torch.__version__}, {args.threads} threads, "
          f"{args.norm}, d={cfg.d_model}, L={cfg.n_layers}, T={T}, batch {B}, {args.steps} steps in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
