package dev.squall.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.AxesChartStyler.TextAlignment;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG line chart (loss curves, sweeps) drawn by XChart in headless mode. The commands describe
 * what to draw here and never touch XChart, so its styling lives in one place.
 *
 * <pre>
 *   new LineChart("Training loss", "step", "loss")
 *       .series("train", steps, trainLoss)
 *       .series("validation", evalSteps, valLoss)
 *       .logY(true)
 *       .save(Path.of("loss.png"), 900, 540);
 * </pre>
 *
 * <p>Points XChart cannot place (non-finite, or not positive on a log axis) become gaps: the line
 * stops and resumes at the next good point. A series with no such point at all is left out, since
 * XChart has nothing to scale it by.
 */
public final class LineChart {
    static {
        // Tests and library callers reach this without going through Main, which sets it too.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /**
     * Ten hues that stay distinct on white and from one another at line width (the familiar tab10
     * set). Series i always gets colour i, even when an earlier series is left out, so "layer 3"
     * has the same colour in every plot of a run.
     */
    static final Color[] SERIES_COLORS = {
        new Color(0x1f, 0x77, 0xb4), new Color(0xe6, 0x6e, 0x00), new Color(0x2c, 0x9c, 0x2c),
        new Color(0xc8, 0x28, 0x28), new Color(0x8a, 0x5c, 0xb8), new Color(0x8c, 0x56, 0x4b),
        new Color(0xd6, 0x5f, 0xb8), new Color(0x55, 0x55, 0x55), new Color(0xa8, 0xa8, 0x18),
        new Color(0x16, 0xa8, 0xb8),
    };
    private static final Color GRID = new Color(0xe4, 0xe4, 0xe4);

    /**
     * A log axis spanning fewer decades than this gets a label on every 1..9 multiple, as labels
     * on the decades alone would be one or none; a longer one is labelled on the decades only, as
     * XChart does not thin labels that collide. Labels are wide on the x axis, so it switches sooner.
     */
    private static final double LABEL_EVERY_MULTIPLE_BELOW_X = 0.6, LABEL_EVERY_MULTIPLE_BELOW_Y = 1.2;

    private record Series(String name, double[] x, double[] y) {}

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean logX, logY, markers;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title == null ? "" : title;
        this.xLabel = xLabel == null ? "" : xLabel;
        this.yLabel = yLabel == null ? "" : yLabel;
    }

    /**
     * Adds a series; x and y must have the same length (copied, so the caller may reuse them). The
     * name is its legend entry, so it must be non-blank and unique within the chart.
     */
    public LineChart series(String name, double[] x, double[] y) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a series needs a name for the legend");
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length
                    + " y values");
        }
        if (series.stream().anyMatch(s -> s.name.equals(name))) throw new IllegalArgumentException("series '" + name + "' is already in the chart");
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** Logarithmic y axis (base 10), for quantities that move over orders of magnitude. */
    public LineChart logY(boolean logY) {
        this.logY = logY;
        return this;
    }

    /** Logarithmic x axis (base 10), for sweeps over a geometric grid such as learning rates. */
    public LineChart logX(boolean logX) {
        this.logX = logX;
        return this;
    }

    /** A dot on every point as well as the line: a sweep has few points, and each is a run. */
    public LineChart markers(boolean markers) {
        this.markers = markers;
        return this;
    }

    /** Writes the chart as a PNG; atomically, so a viewer never sees a half-written image. */
    public void save(Path file, int width, int height) throws IOException {
        writePng(render(width, height), file);
    }

    /** Draws the chart into a new image of the given size. */
    public BufferedImage render(int width, int height) {
        return BitmapEncoder.getBufferedImage(toXChart(width, height));
    }

    /** Several charts of the same width stacked top to bottom in one PNG, each {@code panelHeight} tall. */
    public static void saveStacked(Path file, int width, int panelHeight, LineChart... panels) throws IOException {
        BufferedImage all = new BufferedImage(width, panelHeight * panels.length, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            for (int i = 0; i < panels.length; i++) g.drawImage(panels[i].render(width, panelHeight), 0, i * panelHeight, null);
        } finally {
            g.dispose();
        }
        writePng(all, file);
    }

    /** The XChart chart this describes; the tests read its axes and series. */
    XYChart toXChart(int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height)
                .title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        XYStyler style = chart.getStyler();
        style.setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
        style.setLocale(Locale.ROOT); // "0.5", not "0,5", whatever the machine's locale
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(GRID);
        style.setChartTitleBoxVisible(false);
        style.setLegendBorderColor(GRID);
        style.setAxisTickLabelsFont(style.getAxisTickLabelsFont().deriveFont(Font.PLAIN));
        style.setYAxisLabelAlignment(TextAlignment.Right); // units line up under units
        // Beside the plot rather than in it: it never hides a curve, whatever shape the curves take.
        style.setLegendPosition(LegendPosition.OutsideE);
        style.setXAxisLogarithmic(logX);
        style.setYAxisLogarithmic(logY);

        // The data's span, which on a log axis decides how its ticks are labelled.
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        int drawn = 0;
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            // One more point than given, a gap: XChart labels an axis whose values are evenly spaced
            // (steps 1, 2, 3, ...) at every k-th value (1, 219, 437, ...) rather than at round
            // numbers, and a NaN among the values turns that off. A gap draws nothing.
            double[] x = Arrays.copyOf(s.x, s.x.length + 1), y = Arrays.copyOf(s.y, s.y.length + 1);
            x[s.x.length] = Double.NaN;
            y[s.y.length] = Double.NaN;
            int points = 0;
            boolean adjacent = false, previous = false;
            for (int p = 0; p < x.length; p++) {
                boolean ok = placeable(x[p], logX) && placeable(y[p], logY);
                if (ok) {
                    points++;
                    adjacent |= previous;
                    xLo = Math.min(xLo, x[p]);
                    xHi = Math.max(xHi, x[p]);
                    yLo = Math.min(yLo, y[p]);
                    yHi = Math.max(yHi, y[p]);
                } else {
                    // XChart skips a NaN y as a gap; a NaN x keeps the point out of the x range.
                    x[p] = Double.NaN;
                    y[p] = Double.NaN;
                }
                previous = ok;
            }
            if (points == 0) continue;
            drawn++;
            XYSeries added = chart.addSeries(s.name, x, y);
            Color colour = SERIES_COLORS[i % SERIES_COLORS.length];
            added.setLineColor(colour);
            added.setMarkerColor(colour);
            // Without markers a series of lone points (one step, or values between gaps) would be invisible.
            added.setMarker(markers || !adjacent ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        // One line needs no key: the title names it.
        style.setLegendVisible(drawn > 1);
        if (drawn == 0) return chart;
        if (logX) style.setXAxisLogarithmicDecadeOnly(Math.log10(xHi / xLo) >= LABEL_EVERY_MULTIPLE_BELOW_X);
        else style.setXAxisDecimalPattern(decimalPattern(xLo, xHi));
        if (logY) style.setYAxisLogarithmicDecadeOnly(Math.log10(yHi / yLo) >= LABEL_EVERY_MULTIPLE_BELOW_Y);
        else style.setYAxisDecimalPattern(decimalPattern(yLo, yHi));
        return chart;
    }

    /**
     * Tick labels for a linear axis over data in [lo, hi]. XChart's own pattern drops the leading
     * zero (".003"); this one keeps it, with decimals enough for ticks a twentieth of the span
     * apart and trailing zeros trimmed, and uses exponent form for very large or small numbers.
     */
    static String decimalPattern(double lo, double hi) {
        double largest = Math.max(Math.abs(lo), Math.abs(hi));
        if (largest >= 1e6 || (largest > 0 && largest < 1e-3)) return "0.##E0";
        double span = hi > lo ? hi - lo : largest > 0 ? largest : 1;
        int decimals = Math.clamp(2 - (int) Math.floor(Math.log10(span)), 0, 8);
        return decimals == 0 ? "0" : "0." + "#".repeat(decimals);
    }

    private static boolean placeable(double v, boolean logAxis) {
        return Double.isFinite(v) && (!logAxis || v > 0);
    }

    private static void writePng(BufferedImage image, Path file) throws IOException {
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
}
