package dev.squall.reference;

/**
 * Reference for {@link dev.squall.kernels.NewtonSchulz}: SPEC §6.3 in double, plain loops, one 2-D
 * slice after another.
 *
 * <pre>
 * Shapes:
 *   slices, rows, cols   an input of rank 3 is slices matrices of (rows, cols); rank 2 is slices = 1
 *   out, g               (slices, rows, cols)
 * </pre>
 */
public final class NewtonSchulzRef {
    private NewtonSchulzRef() {}

    /** Per-step (a, b, c) of SPEC §6.3. */
    public static final double[][] COEFFICIENTS = {
            {4.0848, -6.8946, 2.9270},
            {3.9505, -6.3029, 2.6377},
            {3.7418, -5.5913, 2.3037},
            {2.8769, -3.1427, 1.2046},
            {2.8366, -3.0525, 1.2012}};

    /** out = NS5(g) per slice. */
    public static void orthogonalize(double[] out, double[] g, int slices, int rows, int cols) {
        int size = rows * cols;
        for (int s = 0; s < slices; s++) {
            double[] slice = new double[size];
            System.arraycopy(g, s * size, slice, 0, size);
            double[] o = orthogonalize(slice, rows, cols);
            System.arraycopy(o, 0, out, s * size, size);
        }
    }

    /** NS5 of one (rows, cols) matrix. */
    public static double[] orthogonalize(double[] g, int rows, int cols) {
        boolean transpose = rows > cols;
        int r = transpose ? cols : rows, c = transpose ? rows : cols;
        double norm = 0;
        for (double v : g) norm += v * v;
        norm = Math.sqrt(norm) + 1e-7;
        double[][] x = new double[r][c];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                if (transpose) x[j][i] = g[i * cols + j] / norm;
                else x[i][j] = g[i * cols + j] / norm;
            }
        for (double[] abc : COEFFICIENTS) {
            double[][] a = new double[r][r];
            for (int i = 0; i < r; i++)
                for (int k = 0; k < r; k++) {
                    double s = 0;
                    for (int j = 0; j < c; j++) s += x[i][j] * x[k][j];
                    a[i][k] = s;
                }
            double[][] b = new double[r][r];
            for (int i = 0; i < r; i++)
                for (int k = 0; k < r; k++) {
                    double s = 0;
                    for (int j = 0; j < r; j++) s += a[i][j] * a[j][k];
                    b[i][k] = abc[1] * a[i][k] + abc[2] * s;
                }
            double[][] next = new double[r][c];
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++) {
                    double s = 0;
                    for (int k = 0; k < r; k++) s += b[i][k] * x[k][j];
                    next[i][j] = abc[0] * x[i][j] + s;
                }
            x = next;
        }
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) out[i * cols + j] = transpose ? x[j][i] : x[i][j];
        return out;
    }
}
