#!/usr/bin/python3
"""Self-checks of the PyTorch reference: the MoE sublayer, router losses, NS5, MuonH and whole
cases written by the reference's own helpers.

    /usr/bin/python3 tools/reference/test_squall_ref.py      (or: -m unittest test_squall_ref)
"""

import contextlib
import io
import math
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch.nn.utils.stateless import functional_call  # noqa: E402

import squall_moe as M  # noqa: E402
import squall_optim as O  # noqa: E402
import squall_ref as R  # noqa: E402

torch.set_default_dtype(torch.float64)


def moe_layer(kind, shared, C=6, E=5, Fe=3, k=2, seed=0):
    """An MoE sublayer with random weights (expert stacks, router, shared expert)."""
    g = torch.Generator().manual_seed(seed)
    layer = M.MoE(C, E, Fe, k, kind, shared)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.7)
    return layer


def separated_input(layer, N, k, seed, margin=0.05):
    """Rows f whose k-th and (k+1)-th largest router logits are at least `margin` apart, so the
    selection stays put under gradcheck's perturbations."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    while len(rows) < N:
        f = torch.randn(layer.router.shape[1], generator=g)
        z = (layer.router @ f).sort(descending=True).values
        if z[k - 1] - z[k] > margin:
            rows.append(f)
    return torch.stack(rows)


def naive_moe(layer, f):
    """MODEL.md's MoE sublayer token by token, expert by expert, with plain Python selection."""
    out = []
    for row in f:
        z = layer.router @ row
        chosen = sorted(range(len(z)), key=lambda e: (-z[e].item(), e))[:layer.k]
        p = torch.softmax(z, dim=0)
        g = torch.softmax(z[chosen], dim=0)
        y = torch.zeros_like(row)
        for slot, e in enumerate(chosen):
            w = {"softmax-topk": p[e], "topk-softmax": g[slot],
                 "sqrtgate": torch.sqrt(g[slot] + 1e-30)}[layer.kind]
            y = y + w * M.swiglu(row, layer.w_gate_up[e], layer.w_down[e])
        if layer.has_shared:
            s = M.swiglu(row, layer.shared.w_gate_up, layer.shared.w_down)
            y = math.sqrt(0.5) * y + math.sqrt(0.5) * s if layer.kind == "sqrtgate" else y + s
        out.append(y)
    return torch.stack(out)


class MoESublayer(unittest.TestCase):
    def test_top_k_ties_go_to_the_lower_index(self):
        z = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
        mask = M.top_k_mask(z, 2)
        self.assertEqual(mask[0].nonzero().flatten().tolist(), [1, 2])
        self.assertEqual(mask[1].nonzero().flatten().tolist(), [0, 1])

    def test_forward_matches_a_token_by_token_loop(self):
        for kind in M.ROUTERS:
            for shared in (False, True):
                layer = moe_layer(kind, shared, k=3, seed=1)
                f = torch.randn(9, 6, generator=torch.Generator().manual_seed(2))
                y, _, _ = layer(f)
                torch.testing.assert_close(y, naive_moe(layer, f), rtol=1e-12, atol=1e-12,
                                           msg=f"{kind} shared={shared}")

    def test_gates(self):
        z = torch.randn(7, 6, generator=torch.Generator().manual_seed(3))
        p = torch.softmax(z, -1)
        w, sel = M.router_gates(z, "softmax-topk", 2)
        torch.testing.assert_close(w, p * sel)
        w, _ = M.router_gates(z, "topk-softmax", 2)
        torch.testing.assert_close(w.sum(-1), torch.ones(7))
        w, _ = M.router_gates(z, "sqrtgate", 2)
        torch.testing.assert_close(w.pow(2).sum(-1), torch.ones(7))

    def test_gradcheck_every_router_with_and_without_shared_expert(self):
        for kind in M.ROUTERS:
            for shared in (False, True):
                with self.subTest(router=kind, shared=shared):
                    layer = moe_layer(kind, shared, C=4, E=4, Fe=2, k=2, seed=4)
                    f = separated_input(layer, 4, layer.k, seed=5).requires_grad_()
                    names = [n for n, _ in layer.named_parameters()]
                    weights = [p.detach().clone().requires_grad_() for p in layer.parameters()]

                    def fn(f, *ws):
                        return functional_call(layer, dict(zip(names, ws)), (f,))

                    self.assertTrue(torch.autograd.gradcheck(fn, (f, *weights), eps=1e-6, atol=1e-7))

    def test_router_loss_gradients_follow_spec(self):
        """SPEC §6.7 ∂L_aux/∂z = (E/N)·p·(f − Σ f p), f = c/(N·K′); SPEC §7.3 ∂L_z/∂z = (2/N)·LSE·p."""
        N, E, k = 11, 6, 2
        z = torch.randn(N, E, generator=torch.Generator().manual_seed(6)).requires_grad_()
        sel = M.top_k_mask(z, k)
        switch, zval = M.router_losses(z, sel, k)
        p = torch.softmax(z, -1).detach()
        frac = sel.sum(0) / (N * k)
        (g_aux,) = torch.autograd.grad(switch, z)
        torch.testing.assert_close(g_aux, (E / N) * p * (frac - (p * frac).sum(-1, keepdim=True)))
        (g_z,) = torch.autograd.grad(zval, z)
        torch.testing.assert_close(g_z, (2 / N) * torch.logsumexp(z, -1, keepdim=True).detach() * p)
        self.assertAlmostEqual(M.router_losses(torch.zeros(N, E), M.top_k_mask(torch.zeros(N, E), k), k)[0].item(),
                               1.0, places=12)  # uniform routing: the minimum, 1 (times γ)


class SqrtGateRms(unittest.TestCase):
    def test_rms_is_kept_for_every_k_and_with_the_shared_expert(self):
        """SPEC §6.6: zero-mean, uncorrelated expert outputs of RMS r give a SqrtGate mixture of
        RMS r for every k; the plain renormalised mixture shrinks (1/sqrt(k) for equal gates)."""
        g = torch.Generator().manual_seed(7)
        N, E, D = 4000, 32, 16
        experts = torch.randn(N, E, D, generator=g)                    # r = 1
        shared = torch.randn(N, D, generator=g)
        for k in (1, 2, 4, 8, 16):
            z = torch.randn(N, E, generator=g)
            w, _ = M.router_gates(z, "sqrtgate", k)
            y = torch.einsum("ne,ned->nd", w, experts)
            self.assertAlmostEqual(y.pow(2).mean().sqrt().item(), 1.0, delta=0.02, msg=f"k={k}")
            mixed = math.sqrt(1 - M.SHARED_P) * y + math.sqrt(M.SHARED_P) * shared
            self.assertAlmostEqual(mixed.pow(2).mean().sqrt().item(), 1.0, delta=0.02, msg=f"k={k}")
            plain, _ = M.router_gates(z, "topk-softmax", k)
            rms_plain = torch.einsum("ne,ned->nd", plain, experts).pow(2).mean().sqrt().item()
            if k >= 4:
                self.assertLess(rms_plain, 0.8, msg=f"k={k}")


class NewtonSchulz(unittest.TestCase):
    def test_coefficients_map_sigma_into_the_band(self):
        """SPEC §6.3: σ ∈ [0.01, 1] lands in [0.97, 1.04] after the five steps."""
        s = torch.linspace(0.01, 1.0, 20001)
        for a, b, c in O.NS5_COEFFICIENTS:
            s = a * s + b * s ** 3 + c * s ** 5
        self.assertGreaterEqual(s.min().item(), 0.97)
        self.assertLessEqual(s.max().item(), 1.04)

    def test_ns5_orthogonalises_wide_tall_and_square_matrices(self):
        g = torch.Generator().manual_seed(8)
        for rows, cols in ((5, 9), (9, 5), (6, 6), (1, 4), (4, 1)):
            r = min(rows, cols)
            u, _ = torch.linalg.qr(torch.randn(rows, r, generator=g))
            v, _ = torch.linalg.qr(torch.randn(cols, r, generator=g))
            sigma = torch.linspace(0.5, 3.0, r) * 7.0    # after X/‖X‖_F all in [0.01, 1]
            out = O.ns5(u @ torch.diag(sigma) @ v.T)
            self.assertEqual(tuple(out.shape), (rows, cols))
            sv = torch.linalg.svdvals(out)
            self.assertGreaterEqual(sv.min().item(), 0.97, msg=f"{rows}x{cols}")
            self.assertLessEqual(sv.max().item(), 1.04, msg=f"{rows}x{cols}")
            # same singular vectors: the direction u·vᵀ
            self.assertLess((out - u @ v.T).norm().item(), 0.04 * math.sqrt(r))

    def test_stacks_are_orthogonalised_per_expert(self):
        stack = torch.randn(3, 4, 6, generator=torch.Generator().manual_seed(9))
        out = O.orthogonalize(stack)
        for e in range(3):
            torch.testing.assert_close(out[e], O.ns5(stack[e]))


def tiny_model(optimizer="adamw", **moe):
    model = {"vocab_size": 32, "d_model": 16, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2,
             "ffn_hidden": 24, "seq_len": 6, "norm": "rmsnorm", "placement": "pre",
             "attn_norm": "qk", "tied_embeddings": False, "norm_eps": 1e-5, "rope_base": 10000.0,
             "alpha_attn": 0.5, "alpha_ffn": 0.5, "alpha_final": 0.5, "derf_shift": 0.0,
             "embed_scale": None, "bhyt_kappa": 10.0, "bhyt_lambda_in": 2.0,
             "bhyt_lambda_post": 1.0, "bhyt_refresh": 0, "init_std": 0.0, "seed": 0}
    model.update(moe)
    train = {"batch": 2, "steps": 10, "accum_steps": 1, "lr": 3e-3, "min_lr_fraction": 0.1,
             "warmup_steps": 2, "schedule": "cosine", "beta1": 0.9, "beta2": 0.95,
             "adam_eps": 1e-8, "weight_decay": 0.1, "grad_clip": 0.5, "optimizer": optimizer,
             "muon_lr": 0.02}
    return model, train


class Placements(unittest.TestCase):
    """SPEC §11: DeepNorm's weighted residual and Mix-LN's split, read off the built model."""

    def build(self, **changes):
        model_cfg, _ = tiny_model(**changes)
        cfg = R.model_config(R.json.dumps(model_cfg))
        cfg.branch_scale = 1.0
        return R.Squall(cfg)

    def test_deepnorm_is_post_with_alpha_and_no_final_norm(self):
        m = self.build(placement="deepnorm", n_layers=3)
        for block in m.layers:
            self.assertEqual(block.body.__name__, "post")
            self.assertAlmostEqual(block.residual_weight, 6 ** 0.25)
        self.assertFalse(m.has_final_norm)

    def test_deepnorm_weights_the_skip_path_by_alpha(self):
        # MODEL.md: h = α·x + Attn(x); a = Norm_A(h); out = Norm_F(α·a + FFN(a)), on random weights.
        m = self.build(placement="deepnorm", norm="rmsnorm", attn_norm="none")
        block = m.layers[0]
        torch.manual_seed(0)
        for p in m.parameters():
            torch.nn.init.normal_(p, std=0.3)
        x = torch.randn(1, 6, 16)
        with torch.no_grad():
            h = block.residual_weight * x + block.attention(x, m.rope)
            a = block.attn_norm(h)
            expected = block.ffn_norm(block.residual_weight * a + block.mlp(a))
            torch.testing.assert_close(block(x, m.rope), expected)

    def test_mixln_splits_post_then_pre_and_keeps_the_final_norm(self):
        for fraction, posts in ((0.25, 1), (0.5, 2), (0.0, 0), (1.0, 4)):
            with self.subTest(fraction=fraction):
                m = self.build(placement="mixln", n_layers=4, mixln_post_fraction=fraction)
                kinds = [block.body.__name__ for block in m.layers]
                self.assertEqual(kinds, ["post"] * posts + ["pre"] * (4 - posts))
                self.assertTrue(all(block.residual_weight == 1.0 for block in m.layers))
                self.assertTrue(m.has_final_norm)

    def test_mixln_fraction_defaults_to_a_quarter(self):
        m = self.build(placement="mixln", n_layers=8)
        self.assertEqual([block.body.__name__ for block in m.layers], ["post"] * 2 + ["pre"] * 6)


MOE = {"experts": 4, "top_k": 3, "router": "sqrtgate", "shared_expert": True, "moe_every": 1,
       "expert_hidden": 0, "aux_weight": 0.1, "z_weight": 1e-3}


class Optimizers(unittest.TestCase):
    def test_muonh_keeps_every_sphere_tensor_on_its_radius(self):
        with tempfile.TemporaryDirectory() as d:
            model_cfg, train_cfg = tiny_model("hyperp", **MOE)
            R.write_case(d, model_cfg, train_cfg, batch=2, seed=10)
            model, cfg, tc = R.load_model(f"{d}/checkpoint.safetensors")
            tokens, targets = R.load_batch(f"{d}/batch.safetensors", cfg)
            before = {n: p.detach().clone() for n, p in model.named_parameters()}
            R.train(model, tokens, targets, tc)
            sphere = [n for n in before if O.MATRICES.search(n) or n == "lm_head"]
            self.assertIn("layers.0.moe.w_gate_up", sphere)
            for name, p in model.named_parameters():
                moved = (p - before[name]).norm().item()
                self.assertGreater(moved, 0, name)
                if name in sphere:
                    self.assertAlmostEqual(p.norm().item() / before[name].norm().item(), 1.0,
                                           delta=1e-12, msg=name)

    def test_muon_step_of_one_matrix(self):
        """MODEL.md `muon`, first step from zero momentum: W ← (1 − ηλ)W − η·sqrt(max(1, r/c))·NS5((1 + μ)G)."""
        _, tc = tiny_model("muon")
        tc = R.train_config(R.json.dumps(tc))
        w = torch.randn(8, 4, generator=torch.Generator().manual_seed(11))
        grad = torch.randn(8, 4, generator=torch.Generator().manual_seed(12))
        p = torch.nn.Parameter(w.clone())
        O.Optimizer([("layers.0.attn.wq", p)], tc, 2, 6).step([grad], 0)
        eta = tc.muon_lr * O.schedule_factor(0, tc)
        expected = (1 - eta * tc.weight_decay) * w - eta * math.sqrt(2.0) * O.ns5(1.95 * grad)
        torch.testing.assert_close(p.detach(), expected)

    def test_hyperp_rate_is_lr_at_the_base_scale_and_decays_to_a_tenth(self):
        _, tc = tiny_model("hyperp")
        tc = R.train_config(R.json.dumps(tc))
        tc.batch, tc.accum_steps, tc.steps = 2 ** 21 // 6, 1, 1
        tc.hyperp_base_batch = tc.batch * 6
        tc.hyperp_base_tokens = tc.batch * 6 * tc.steps
        self.assertAlmostEqual(O.hyperp_lr(tc, 8, 6), tc.lr, places=15)
        self.assertAlmostEqual(O.hyperp_lr(tc, 32, 6), tc.lr / 2, places=15)
        tc.steps = 100
        self.assertEqual(O.hyperp_factor(0, tc), 1.0)
        self.assertAlmostEqual(O.hyperp_factor(100, tc), 0.1, places=15)


class WholeCases(unittest.TestCase):
    def run_case(self, model_cfg, train_cfg, seed=20):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: [os.remove(f"{d}/{f}") for f in os.listdir(d)] and os.rmdir(d))
        R.write_case(d, model_cfg, train_cfg, batch=2, seed=seed)
        with contextlib.redirect_stdout(io.StringIO()):
            R.run_case(d)
        out, meta = R.read_safetensors(f"{d}/reference.safetensors")
        return d, out, meta

    def test_random_moe_case_for_every_router_and_optimizer(self):
        g = torch.Generator().manual_seed(21)
        for i, (router, optimizer) in enumerate([(r, o) for r in M.ROUTERS for o in O.OPTIMIZERS]):
            with self.subTest(router=router, optimizer=optimizer):
                moe = dict(MOE, router=router, experts=int(torch.randint(3, 7, (1,), generator=g)),
                           shared_expert=bool(i % 2), moe_every=1 + i % 2)
                moe["top_k"] = 2 + (1 if moe["shared_expert"] else 0)
                model_cfg, train_cfg = tiny_model(optimizer, **moe)
                d, out, meta = self.run_case(model_cfg, train_cfg, seed=30 + i)
                model, cfg, _ = R.load_model(f"{d}/checkpoint.safetensors")
                self.assertEqual(out["logits"].shape, (12, 32))
                self.assertEqual(out["losses"].shape, (10,))
                self.assertEqual(out["losses"][0].item(), out["loss"].item())
                self.assertLess(out["losses"][-1].item(), out["losses"][0].item())
                self.assertGreater(out["aux_loss"].item(), 0)
                self.assertGreater(out["z_loss"].item(), 0)
                n_moe = sum(1 for l in range(2) if (l + 1) % moe["moe_every"] == 0)
                self.assertEqual(len(R.json.loads(meta["router_z"])), n_moe)
                for name, p in model.named_parameters():
                    self.assertEqual(out[f"grad.{name}"].shape, p.shape, name)
                self.assertIn("grad.layers.1.moe.router", out)
                self.assertEqual("grad.layers.0.moe.router" in out, moe["moe_every"] == 1)

    def test_gradients_are_of_the_whole_objective(self):
        """Directional finite difference of CE + aux + z against the written gradients."""
        model_cfg, train_cfg = tiny_model("adamw", **dict(MOE, router="topk-softmax", z_weight=0.05))
        d, out, _ = self.run_case(model_cfg, train_cfg, seed=40)
        model, cfg, _ = R.load_model(f"{d}/checkpoint.safetensors")
        tokens, targets = R.load_batch(f"{d}/batch.safetensors", cfg)
        model.refresh_c_attn()
        g = torch.Generator().manual_seed(41)
        params = dict(model.named_parameters())
        for name in ("layers.0.moe.router", "layers.1.moe.w_gate_up", "layers.0.moe.shared.w_down",
                     "layers.0.attn.wq"):
            direction = torch.randn(params[name].shape, generator=g)
            values = []
            for h in (1e-6, -1e-6):
                with torch.no_grad():
                    params[name].add_(h * direction)
                    _, loss, aux, z = model(tokens, targets)
                    params[name].sub_(h * direction)
                values.append((loss + aux + z).item())
            fd = (values[0] - values[1]) / 2e-6
            analytic = (out[f"grad.{name}"] * direction).sum().item()
            self.assertAlmostEqual(fd, analytic, delta=1e-6 * max(1.0, abs(analytic)), msg=name)

    def test_older_configs_are_dense_adamw(self):
        model_cfg, train_cfg = tiny_model()
        del train_cfg["optimizer"], train_cfg["muon_lr"]
        _, out, meta = self.run_case(model_cfg, train_cfg)
        self.assertEqual(out["aux_loss"].item(), 0.0)
        self.assertEqual(out["z_loss"].item(), 0.0)
        self.assertEqual(meta["router_z"], "[]")

    def test_bad_values_are_one_line_errors(self):
        bad = [({"router": "bogus"}, {}, "unknown router"),
               ({"top_k": 6}, {}, "routed experts"),
               ({"moe_every": 0}, {}, "moe_every"),
               ({"aux_weight": None}, {}, "lacks aux_weight"),
               ({}, {"optimizer": "sgd"}, "unknown optimizer"),
               ({}, {"optimizer": "muon", "muon_lr": None}, "lacks muon_lr")]
        for moe_change, train_change, message in bad:
            with self.subTest(message=message):
                model_cfg, train_cfg = tiny_model(**dict(MOE, **moe_change))
                train_cfg.update(train_change)
                d = tempfile.mkdtemp()
                good_model, good_train = tiny_model(**MOE)
                R.write_case(d, good_model, good_train, batch=1, seed=1)
                tensors, meta = R.read_safetensors(f"{d}/checkpoint.safetensors")
                meta.update(model_config=R.json.dumps(model_cfg), train_config=R.json.dumps(train_cfg))
                R.write_safetensors(f"{d}/checkpoint.safetensors", tensors, meta)
                err = io.StringIO()
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(R.main([d]), 1)
                self.assertIn(message, err.getvalue())
                self.assertEqual(err.getvalue().count("\n"), 1, err.getvalue())
                self.assertNotIn("Error:", err.getvalue())  # a CaseError, not a crash


if __name__ == "__main__":
    unittest.main()
