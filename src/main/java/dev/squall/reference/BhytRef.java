package dev.squall.reference;

/**
 * Double-precision BHyT, SPEC §4.1 (forward) and §4.3 (backward): the plain loops the float kernel
 * {@code dev.squall.kernels.Bhyt} is checked against. Same argument order and shapes as the kernel.
 *
 * <p>The autograd graph followed (the authors' code): s²_x is a differentiable function of the block
 * input x; λ̄₁ inside ŝ² is a detached copy of λ₁ (its own argument here, so a test can perturb λ₁
 * without moving it); c_attn is a constant.
 */
public final class BhytRef {
    private BhytRef() {}

    /** meanSq[n] = mean_j x[n, j]². */
    public static void statistic(double[] meanSq, double[] inp, int N, int C) {
        for (int n = 0; n < N; n++) {
            double s = 0;
            for (int j = 0; j < C; j++) s += inp[n * C + j] * inp[n * C + j];
            meanSq[n] = s / C;
        }
    }

    /** n1 = γ1 ⊙ tanh(λ1·ρ1·x), ρ1 = κ⁻¹(s²_x + ε)^(-1/2). */
    public static void forwardInput(double[] out, double[] inp, double[] meanSq, double[] lambda, double[] weight,
                                    int N, int C, double kappa, double eps) {
        for (int n = 0; n < N; n++) {
            double rho = 1.0 / (kappa * Math.sqrt(meanSq[n] + eps));
            for (int j = 0; j < C; j++) out[n * C + j] = weight[j] * Math.tanh(lambda[0] * rho * inp[n * C + j]);
        }
    }

    /** ŝ² = s²_x + c_attn·λ̄1²/κ², ρ2 = κ⁻¹(ŝ² + ε)^(-1/2) (saved), n2 = γ2 ⊙ tanh(λ2·ρ2·h). */
    public static void forwardSecond(double[] out, double[] rho2, double[] h, double[] meanSqX, double[] cAttn,
                                     double[] lambda1, double[] lambda2, double[] weight, int N, int C,
                                     double kappa, double eps) {
        double correction = cAttn[0] * lambda1[0] * lambda1[0] / (kappa * kappa);
        for (int n = 0; n < N; n++) {
            double rho = 1.0 / (kappa * Math.sqrt(meanSqX[n] + correction + eps));
            rho2[n] = rho;
            for (int j = 0; j < C; j++) out[n * C + j] = weight[j] * Math.tanh(lambda2[0] * rho * h[n * C + j]);
        }
    }

    /**
     * c_attn = ‖W_O·W_V,exp‖_F² / (seqLen·C), with W_V,exp the value weight with each KV head's block
     * of hd rows repeated for the nHeads/nKvHeads query heads it serves. Built literally: expand,
     * multiply, square, sum.
     */
    public static void cAttn(double[] cOut, double[] wv, double[] wo, int C, int nHeads, int nKvHeads, int hd,
                             int seqLen) {
        int D = nHeads * hd, group = nHeads / nKvHeads;
        double[] wvExpanded = new double[D * C];
        for (int head = 0; head < nHeads; head++) {
            int kv = head / group;
            for (int j = 0; j < hd; j++) {
                for (int c = 0; c < C; c++) wvExpanded[(head * hd + j) * C + c] = wv[(kv * hd + j) * C + c];
            }
        }
        double sum = 0;
        for (int i = 0; i < C; i++) {
            for (int c = 0; c < C; c++) {
                double m = 0;
                for (int k = 0; k < D; k++) m += wo[i * D + k] * wvExpanded[k * C + c];
                sum += m * m;
            }
        }
        cOut[0] = sum / ((double) seqLen * C);
    }

    /**
     * Writes dinp; adds into dlambda and dweight. With t = tanh(λρ1x), q = g⊙γ⊙(1−t²):
     * dx = λρ1·(q − x·<q,x>/(C·(s²+ε))), dλ = Σ ρ1<q,x>, dγ = Σ g⊙t.
     */
    public static void backwardInput(double[] dinp, double[] dlambda, double[] dweight, double[] dout, double[] inp,
                                     double[] meanSq, double[] lambda, double[] weight, int N, int C,
                                     double kappa, double eps) {
        double lam = lambda[0];
        for (int n = 0; n < N; n++) {
            double rho = 1.0 / (kappa * Math.sqrt(meanSq[n] + eps));
            double[] q = new double[C];
            double qx = 0;
            for (int j = 0; j < C; j++) {
                double x = inp[n * C + j], g = dout[n * C + j];
                double t = Math.tanh(lam * rho * x);
                q[j] = g * weight[j] * (1 - t * t);
                qx += q[j] * x;
                dweight[j] += g * t;
            }
            dlambda[0] += rho * qx;
            for (int j = 0; j < C; j++) {
                double x = inp[n * C + j];
                dinp[n * C + j] = lam * rho * (q[j] - x * qx / (C * (meanSq[n] + eps)));
            }
        }
    }

    /**
     * Writes dh and dinpCross; adds into dlambda2 and dweight2. With t = tanh(λ2ρ2h), q = g⊙γ2⊙(1−t²):
     * dh = λ2ρ2·q (ρ2 does not depend on h), and through s²_x inside ŝ²,
     * dinpCross = −λ2ρ2·<q,h>·x/(C·(ŝ²+ε)), where ŝ²+ε = 1/(κρ2)².
     */
    public static void backwardSecond(double[] dh, double[] dinpCross, double[] dlambda2, double[] dweight2,
                                      double[] dout, double[] h, double[] inpX, double[] rho2, double[] lambda2,
                                      double[] weight2, int N, int C, double kappa) {
        double lam = lambda2[0];
        for (int n = 0; n < N; n++) {
            double rho = rho2[n];
            double qh = 0;
            for (int j = 0; j < C; j++) {
                double hv = h[n * C + j], g = dout[n * C + j];
                double t = Math.tanh(lam * rho * hv);
                double q = g * weight2[j] * (1 - t * t);
                qh += q * hv;
                dh[n * C + j] = lam * rho * q;
                dweight2[j] += g * t;
            }
            dlambda2[0] += rho * qh;
            double sHatSqPlusEps = 1.0 / (kappa * kappa * rho * rho);
            for (int j = 0; j < C; j++) dinpCross[n * C + j] = -lam * rho * qh * inpX[n * C + j] / (C * sHatSqPlusEps);
        }
    }
}
