package dev.squall.kernels;

import static org.junit.jupiter.api.Assertions.*;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class LaneMathTest {
    static final int L = LaneMath.S.length();

    static float[] apply(float[] x, java.util.function.UnaryOperator<FloatVector> f) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) f.apply(FloatVector.fromArray(LaneMath.S, x, i)).intoArray(y, i);
        return y;
    }

    static float[] sweep(float lo, float hi, int n) {
        n = n / L * L;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * i / n;
        return x;
    }

    @Test
    void expIsWithinThreeUlpsAndUnderflowsToZero() {
        float[] x = sweep(-95f, 10f, 200_000);
        float[] y = apply(x, LaneMath::exp);
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp((double) x[i]);
            if (x[i] < -87f) assertEquals(0f, y[i], "underflow to zero at " + x[i]);
            // Polynomial truncation 5e-9 plus a few roundings: within 3 float ulps (ulp = 6e-8 relative).
            else assertEquals(e, y[i], 2e-7 * e, "exp(" + x[i] + ")");
            assertEquals(Float.floatToIntBits(y[i]), Float.floatToIntBits(LaneMath.exp(x[i])), "scalar form at " + x[i]);
        }
    }

    @Test
    void tanhIsWithinAFewUlpsEverywhere() {
        float[] x = sweep(-20f, 20f, 400_000);
        float[] tiny = {1e-30f, -1e-20f, 1e-8f, -3e-5f, 0f, 0.6249f, 0.625f, -0.6251f};
        float[] y = apply(x, LaneMath::tanh);
        for (int i = 0; i < x.length; i++) {
            double t = Math.tanh(x[i]);
            assertEquals(t, y[i], 3e-7 * Math.abs(t) + 1e-38, "tanh(" + x[i] + ")");
            assertEquals(Float.floatToIntBits(y[i]), Float.floatToIntBits(LaneMath.tanh(x[i])), "scalar form at " + x[i]);
        }
        for (float v : tiny) assertEquals(Math.tanh(v), LaneMath.tanh(v), 3e-7 * Math.abs(Math.tanh(v)) + 1e-38, "tanh(" + v + ")");
        assertEquals(1f, LaneMath.tanh(100f));
        assertEquals(-1f, LaneMath.tanh(-100f));
    }

    @Test
    void laneSumIsTheSumInAFixedOrder() {
        float[] x = new float[L];
        double exact = 0;
        for (int i = 0; i < L; i++) {
            x[i] = (float) Math.scalb(1.0 + i / 7.0, (i % 5) - 2);
            exact += x[i];
        }
        float s = LaneMath.sum(FloatVector.fromArray(LaneMath.S, x, 0));
        assertEquals(exact, s, 1e-6 * Math.abs(exact));
        // The same lanes always give the same bits, however often the code has run (JIT tiers).
        for (int rep = 0; rep < 20_000; rep++) {
            assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(LaneMath.sum(FloatVector.fromArray(LaneMath.S, x, 0))));
        }
    }
}
