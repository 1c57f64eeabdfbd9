package dev.squall.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * PNG line charts (loss curves, throughput sweeps) drawn with java.awt in headless mode, so they
 * work on servers without a display and need no plotting library.
 *
 * <pre>
 *   new LinePlot("Training loss", "step", "loss")
 *       .series("train", steps, trainLoss)
 *       .series("validation", evalSteps, valLoss)
 *       .logY(true)
 *       .save(Path.of("loss.png"), 1000, 600);
 * </pre>
 *
 * <p>Non-finite points (and, on a log axis, values {@code <= 0}) are gaps: the line stops and
 * resumes at the next good point; a point with no neighbour is drawn as a dot. Axis ranges cover
 * all drawable points of all series; ticks fall on 1, 2, 5 times a power of ten (decades on a log
 * axis spanning several). The legend goes in the plot corner with the fewest points under it.
 */
public final class LinePlot {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Ten hues that stay distinct on white and from one another at line width (the familiar tab10 set). */
    static final Color[] PALETTE = {
        new Color(0x1f, 0x77, 0xb4), new Color(0xe6, 0x6e, 0x00), new Color(0x2c, 0x9c, 0x2c),
        new Color(0xc8, 0x28, 0x28), new Color(0x8a, 0x5c, 0xb8), new Color(0x8c, 0x56, 0x4b),
        new Color(0xd6, 0x5f, 0xb8), new Color(0x55, 0x55, 0x55), new Color(0xa8, 0xa8, 0x18),
        new Color(0x16, 0xa8, 0xb8),
    };
    private static final Color GRID = new Color(0xe4, 0xe4, 0xe4);
    private static final Color MINOR_GRID = new Color(0xf2, 0xf2, 0xf2);
    private static final Color AXIS = new Color(0x60, 0x60, 0x60);
    private static final Color TEXT = new Color(0x20, 0x20, 0x20);

    private record Series(String name, double[] x, double[] y) {}

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean logY, logX, markers;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title == null ? "" : title;
        this.xLabel = xLabel == null ? "" : xLabel;
        this.yLabel = yLabel == null ? "" : yLabel;
    }

    /** Adds a series; x and y must have the same length (copied, so the caller may reuse them). */
    public LinePlot series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length
                    + " y values");
        }
        series.add(new Series(name == null ? "" : name, x.clone(), y.clone()));
        return this;
    }

    /** Logarithmic y axis (base 10), for losses that fall over orders of magnitude. */
    public LinePlot logY(boolean logY) {
        this.logY = logY;
        return this;
    }

    /** Logarithmic x axis (base 10), for sweeps over a geometric grid such as learning rates. */
    public LinePlot logX(boolean logX) {
        this.logX = logX;
        return this;
    }

    /** A dot on every point as well as the line: a sweep has few points, and each is a run. */
    public LinePlot markers(boolean markers) {
        this.markers = markers;
        return this;
    }

    /** Writes the chart as a PNG; atomically, so a viewer never sees a half-written image. */
    public void save(Path file, int width, int height) throws IOException {
        BufferedImage image = render(width, height);
        Path absolute = file.toAbsolutePath();
        Path tmp = absolute.resolveSibling("." + absolute.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) throw new IOException("no PNG writer in this JDK");
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException(file + ": cannot write plot (" + e.getMessage() + ")", e);
        }
    }

    // ---------------------------------------------------------------- rendering

    private boolean drawable(double x, double y) {
        return Double.isFinite(x) && Double.isFinite(y) && (!logY || y > 0) && (!logX || x > 0);
    }

    private double xAxis(double x) { return logX ? Math.log10(x) : x; }

    private double yAxis(double y) { return logY ? Math.log10(y) : y; }

    /** Draws the chart into a new RGB image of the given size. */
    public BufferedImage render(int width, int height) {
        if (width < 64 || height < 48) {
            throw new IllegalArgumentException("plot size " + width + "x" + height + " is too small (at least 64x48)");
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(g, width, height);
        } finally {
            g.dispose();
        }
        return image;
    }

    private void draw(Graphics2D g, int width, int height) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        float base = Math.max(10f, Math.min(width, height) / 48f);
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.round(base));
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.round(base * 1.1f));
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, Math.round(base * 1.35f));
        FontMetrics tickFm = g.getFontMetrics(tickFont), labelFm = g.getFontMetrics(labelFont);
        FontMetrics titleFm = g.getFontMetrics(titleFont);

        // Data ranges (in log10 space for a log axis).
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (!drawable(s.x[i], s.y[i])) continue;
                double x = xAxis(s.x[i]), y = yAxis(s.y[i]);
                xMin = Math.min(xMin, x);
                xMax = Math.max(xMax, x);
                yMin = Math.min(yMin, y);
                yMax = Math.max(yMax, y);
            }
        }
        double[] xr = widen(xMin, xMax, 0);
        double[] yr = widen(yMin, yMax, 0.05);

        // Margins from the widest tick label, computed on a first guess of the plot height.
        int top = Math.round(base * 1.2f) + (title.isEmpty() ? 0 : titleFm.getHeight() + Math.round(base * 0.4f));
        int bottom = tickFm.getHeight() + Math.round(base * 0.6f) + (xLabel.isEmpty() ? 0 : labelFm.getHeight())
                + Math.round(base * 0.6f);
        List<Tick> yTicks = logY ? logTicks(yr[0], yr[1], height - top - bottom)
                : linearTicks(yr[0], yr[1], (height - top - bottom) / (base * 3.5));
        int yTickWidth = 0;
        for (Tick t : yTicks) if (t.major) yTickWidth = Math.max(yTickWidth, tickFm.stringWidth(t.label));
        int left = Math.round(base * 0.8f) + (yLabel.isEmpty() ? 0 : labelFm.getHeight() + Math.round(base * 0.4f))
                + yTickWidth + Math.round(base * 0.5f);
        int right = Math.round(base * 1.6f);
        int pw = width - left - right, ph = height - top - bottom;
        if (pw < 8 || ph < 8) return; // labels take the whole image: leave it white rather than fail
        List<Tick> xTicks = logX ? logTicks(xr[0], xr[1], pw) : linearTicks(xr[0], xr[1], pw / (base * 7));

        Mapper m = new Mapper(left, top, pw, ph, xr[0], xr[1], yr[0], yr[1]);

        // Grid.
        g.setStroke(new BasicStroke(1f));
        for (Tick t : yTicks) {
            g.setColor(t.major ? GRID : MINOR_GRID);
            int py = (int) Math.round(m.py(t.value));
            g.drawLine(left, py, left + pw, py);
        }
        for (Tick t : xTicks) {
            g.setColor(t.major ? GRID : MINOR_GRID);
            int px = (int) Math.round(m.px(t.value));
            g.drawLine(px, top, px, top + ph);
        }

        // Series, clipped to the plot area.
        var oldClip = g.getClip();
        g.clipRect(left - 3, top - 3, pw + 6, ph + 6);
        float lineWidth = Math.max(1.5f, base / 7f);
        g.setStroke(new BasicStroke(lineWidth, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            g.setColor(PALETTE[si % PALETTE.length]);
            Path2D.Double path = new Path2D.Double();
            int run = 0;
            double lastX = 0, lastY = 0;
            for (int i = 0; i <= s.x.length; i++) {
                boolean ok = i < s.x.length && drawable(s.x[i], s.y[i]);
                if (!ok) {
                    if (run == 1) dot(g, lastX, lastY, lineWidth * 1.6);
                    run = 0;
                    continue;
                }
                double px = m.px(xAxis(s.x[i])), py = m.py(yAxis(s.y[i]));
                if (run == 0) path.moveTo(px, py);
                else path.lineTo(px, py);
                if (markers) dot(g, px, py, lineWidth * 2);
                run++;
                lastX = px;
                lastY = py;
            }
            g.draw(path);
        }
        g.setClip(oldClip);

        // Axes box and ticks.
        g.setColor(AXIS);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(left, top, pw, ph);
        g.setFont(tickFont);
        int tickLen = Math.round(base * 0.35f);
        for (Tick t : yTicks) {
            if (!t.major) continue;
            int py = (int) Math.round(m.py(t.value));
            g.setColor(AXIS);
            g.drawLine(left - tickLen, py, left, py);
            g.setColor(TEXT);
            g.drawString(t.label, left - tickLen - 3 - tickFm.stringWidth(t.label),
                    py + (tickFm.getAscent() - tickFm.getDescent()) / 2);
        }
        int lastLabelEnd = Integer.MIN_VALUE;
        for (Tick t : xTicks) {
            if (!t.major) continue;
            int px = (int) Math.round(m.px(t.value));
            g.setColor(AXIS);
            g.drawLine(px, top + ph, px, top + ph + tickLen);
            int w = tickFm.stringWidth(t.label), x0 = Math.min(px - w / 2, width - w - 2);
            if (x0 < lastLabelEnd + base) continue; // never let labels run into each other
            g.setColor(TEXT);
            g.drawString(t.label, x0, top + ph + tickLen + tickFm.getAscent() + 2);
            lastLabelEnd = x0 + w;
        }

        // Title and axis labels.
        g.setColor(TEXT);
        if (!title.isEmpty()) {
            g.setFont(titleFont);
            g.drawString(title, left + (pw - titleFm.stringWidth(title)) / 2,
                    Math.round(base * 0.9f) + titleFm.getAscent());
        }
        g.setFont(labelFont);
        if (!xLabel.isEmpty()) {
            g.drawString(xLabel, left + (pw - labelFm.stringWidth(xLabel)) / 2, height - labelFm.getDescent()
                    - Math.round(base * 0.5f));
        }
        if (!yLabel.isEmpty()) {
            AffineTransform saved = g.getTransform();
            g.translate(Math.round(base * 0.8f) + labelFm.getAscent(), top + (ph + labelFm.stringWidth(yLabel)) / 2.0);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, 0, 0);
            g.setTransform(saved);
        }

        legend(g, m, tickFont, tickFm, base);
    }

    private static void dot(Graphics2D g, double x, double y, double r) {
        g.fill(new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
    }

    private void legend(Graphics2D g, Mapper m, Font font, FontMetrics fm, float base) {
        if (series.isEmpty()) return;
        int pad = Math.round(base * 0.6f), sample = Math.round(base * 2f), rowH = fm.getHeight();
        int textW = 0;
        for (Series s : series) textW = Math.max(textW, fm.stringWidth(s.name));
        int w = pad * 3 + sample + textW, h = pad * 2 + rowH * series.size();
        if (w > m.pw - 2 * pad || h > m.ph - 2 * pad) return; // no room: a legend over everything helps no one

        // The corner whose box covers the fewest points.
        int[][] corners = {
            {m.left + m.pw - pad - w, m.top + pad}, {m.left + pad, m.top + pad},
            {m.left + m.pw - pad - w, m.top + m.ph - pad - h}, {m.left + pad, m.top + m.ph - pad - h},
        };
        int best = 0;
        long bestCount = Long.MAX_VALUE;
        for (int c = 0; c < corners.length; c++) {
            Rectangle2D box = new Rectangle2D.Double(corners[c][0], corners[c][1], w, h);
            long count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    if (drawable(s.x[i], s.y[i])
                            && box.contains(m.px(xAxis(s.x[i])), m.py(yAxis(s.y[i])))) count++;
                }
            }
            if (count < bestCount) {
                bestCount = count;
                best = c;
            }
        }
        int x = corners[best][0], y = corners[best][1];
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRoundRect(x, y, w, h, pad, pad);
        g.setColor(GRID.darker());
        g.setStroke(new BasicStroke(1f));
        g.drawRoundRect(x, y, w, h, pad, pad);
        g.setFont(font);
        g.setStroke(new BasicStroke(Math.max(2f, base / 5f), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (int i = 0; i < series.size(); i++) {
            int cy = y + pad + rowH * i + rowH / 2;
            g.setColor(PALETTE[i % PALETTE.length]);
            g.drawLine(x + pad, cy, x + pad + sample, cy);
            g.setColor(TEXT);
            g.drawString(series.get(i).name, x + pad * 2 + sample, cy + (fm.getAscent() - fm.getDescent()) / 2);
        }
    }

    /** Data to pixel coordinates; y grows downwards on screen. */
    private record Mapper(int left, int top, int pw, int ph, double x0, double x1, double y0, double y1) {
        double px(double x) { return left + (x - x0) / (x1 - x0) * pw; }

        double py(double y) { return top + ph - (y - y0) / (y1 - y0) * ph; }
    }

    /** A non-empty range around [lo, hi], padded by a fraction of its span; [0, 1] when there is no data. */
    static double[] widen(double lo, double hi, double pad) {
        if (!(lo <= hi)) return new double[] {0, 1};
        if (lo == hi) {
            double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[] {lo - d, hi + d};
        }
        double d = (hi - lo) * pad;
        return new double[] {lo - d, hi + d};
    }

    // ---------------------------------------------------------------- ticks

    record Tick(double value, String label, boolean major) {}

    /** Ticks at multiples of 1, 2 or 5 times a power of ten, about {@code target} of them. */
    static List<Tick> linearTicks(double lo, double hi, double target) {
        double step = niceStep((hi - lo) / Math.max(2, target));
        List<Tick> ticks = new ArrayList<>();
        double first = Math.ceil(lo / step - 1e-9), last = Math.floor(hi / step + 1e-9);
        double maxAbs = Math.max(Math.abs(first), Math.abs(last)) * step;
        boolean sci = maxAbs >= 1e6 || maxAbs < 1e-3; // one style per axis, not plain and exponent mixed
        for (double k = first; k <= last; k++) {
            double v = k * step;
            if (Math.abs(v) < step * 1e-9) v = 0; // no "-0" or 1e-17 from rounding
            ticks.add(new Tick(v, format(v, step, sci), true));
        }
        return ticks;
    }

    static double niceStep(double rough) {
        double p = Math.pow(10, Math.floor(Math.log10(rough)));
        double f = rough / p;
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
    }

    /**
     * Ticks for a log10 axis over [lo, hi] (in log10 units), placed where the labels fit: every
     * decade (or every few decades) when the range spans several; 1..9, 1-2-3-5 or 1-2-5 times
     * powers of ten (the densest that stays legible) when it spans about one; plain 1-2-5 steps
     * in value space when it is narrower still. Values are log10(v).
     */
    static List<Tick> logTicks(double lo, double hi, int pixels) {
        int maxLabels = Math.max(2, pixels / 40);
        double decades = hi - lo;
        List<Tick> ticks = new ArrayList<>();
        if (decades >= 2) {
            int every = (int) Math.ceil((Math.floor(hi) - Math.ceil(lo) + 1) / maxLabels);
            every = Math.max(1, every);
            for (int e = (int) Math.floor(lo); e <= Math.ceil(hi); e++) {
                boolean major = Math.floorMod(e, every) == 0;
                for (int mult = 1; mult <= 9; mult++) {
                    double v = e + Math.log10(mult);
                    if (v < lo || v > hi) continue;
                    if (mult == 1) ticks.add(new Tick(v, major ? decadeLabel(e) : "", major));
                    else if (every == 1 && decades < 6) ticks.add(new Tick(v, "", false)); // minor grid
                }
            }
            return ticks;
        }
        // About a decade: the densest set of mantissas whose labels stay apart on screen.
        int minGap = 28;
        for (int[] mults : new int[][] {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 5}, {1, 2, 5}}) {
            List<Tick> candidate = new ArrayList<>();
            for (int e = (int) Math.floor(lo); e <= Math.ceil(hi); e++) {
                for (int mult : mults) {
                    double v = e + Math.log10(mult);
                    if (v >= lo && v <= hi) candidate.add(new Tick(v, format(mult * Math.pow(10, e)), true));
                }
            }
            double closest = Double.POSITIVE_INFINITY;
            for (int i = 1; i < candidate.size(); i++) {
                closest = Math.min(closest, (candidate.get(i).value - candidate.get(i - 1).value) / decades * pixels);
            }
            if (candidate.size() >= 3 && closest >= minGap) return candidate;
        }
        // Narrow range: linear 1-2-5 steps in value space, drawn at their log positions.
        for (Tick t : linearTicks(Math.pow(10, lo), Math.pow(10, hi), Math.min(maxLabels, 6))) {
            if (t.value > 0) ticks.add(new Tick(Math.log10(t.value), t.label, true));
        }
        return ticks;
    }

    private static String decadeLabel(int e) {
        return e >= -3 && e <= 5 ? format(Math.pow(10, e)) : "1e" + e;
    }

    /** One value on its own: exponent form only when very large or small. */
    static String format(double v) {
        double a = Math.abs(v);
        return format(v, v == 0 ? 1 : a, a != 0 && (a >= 1e6 || a < 1e-3));
    }

    /**
     * A tick label with exactly the decimals the step needs ("0.5", "1.0", "1.5"), or in exponent
     * form ("5e5", "1.5e6") when {@code sci}.
     */
    static String format(double v, double step, boolean sci) {
        if (v == 0) return "0";
        if (sci) {
            int e = (int) Math.floor(Math.log10(Math.abs(v)) + 1e-12);
            double mant = v / Math.pow(10, e);
            int mantDecimals = Math.max(0, Math.min(3, (int) Math.ceil(-Math.log10(step / Math.pow(10, e)) - 1e-9)));
            return trim(String.format(Locale.ROOT, "%." + mantDecimals + "f", mant)) + "e" + e;
        }
        int decimals = Math.max(0, Math.min(8, (int) Math.ceil(-Math.log10(step) - 1e-9)));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String trim(String s) {
        if (!s.contains(".")) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
