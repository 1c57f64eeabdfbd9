package dev.squall.plot;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

class LineChartTest {
    @TempDir Path dir;

    /** Pixels within a small RGB distance of {@code c} in rows [top, bottom): anti-aliasing blends line edges. */
    static int pixelsNear(BufferedImage img, Color c, int top, int bottom) {
        int n = 0;
        for (int y = top; y < bottom; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (near(img.getRGB(x, y), c)) n++;
            }
        }
        return n;
    }

    static int pixelsNear(BufferedImage img, Color c) {
        return pixelsNear(img, c, 0, img.getHeight());
    }

    private static boolean near(int rgb, Color c) {
        int dr = ((rgb >> 16) & 0xFF) - c.getRed(), dg = ((rgb >> 8) & 0xFF) - c.getGreen(), db = (rgb & 0xFF) - c.getBlue();
        return dr * dr + dg * dg + db * db < 30 * 30;
    }

    /** Whether a pixel of colour {@code c} lies within {@code r} pixels of (x, y). */
    private static boolean colourAround(BufferedImage img, Color c, double x, double y, int r) {
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                int px = (int) Math.round(x) + dx, py = (int) Math.round(y) + dy;
                if (px >= 0 && py >= 0 && px < img.getWidth() && py < img.getHeight() && near(img.getRGB(px, py), c)) return true;
            }
        }
        return false;
    }

    private static Color colour(int series) {
        return LineChart.SERIES_COLORS[series];
    }

    @Test
    void savesAPngOfTheRequestedSizeWithEverySeriesInItsColour() throws IOException {
        int n = 200;
        double[] x = new double[n], a = new double[n], b = new double[n], c = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 10;
            a[i] = 5 * Math.exp(-i / 40.0) + 0.5;
            b[i] = 4 * Math.exp(-i / 60.0) + 0.7;
            c[i] = i % 50 == 25 ? Double.NaN : 3 + Math.sin(i / 10.0) * 0.3; // gaps
        }
        Path png = dir.resolve("loss.png");
        new LineChart("Loss", "step", "loss").series("a", x, a).series("b", x, b).series("c", x, c).logY(true)
                .save(png, 640, 400);

        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8),
                "PNG signature");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO decodes it");
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        for (int s = 0; s < 3; s++) {
            int count = pixelsNear(img, colour(s));
            assertTrue(count > 100, "series " + s + " has only " + count + " pixels of its colour");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(png), files.toList(), "no temporary file left");
        }
    }

    @Test
    void logAxesGiveEveryDecadeTheSameLengthAndPointsLandWhereTheAxesSay() {
        double[] x = {1e-3, 1e-2, 1e-1}, y = {1, 10, 100};
        LineChart description = new LineChart("sweep", "lr", "loss").series("s", x, y).markers(true);

        XYChart log = description.logX(true).logY(true).toXChart(900, 540);
        BufferedImage img = BitmapEncoder.getBufferedImage(log); // lays the axes out
        double x0 = log.getScreenXFromChart(1e-3), x1 = log.getScreenXFromChart(1e-2), x2 = log.getScreenXFromChart(1e-1);
        double y0 = log.getScreenYFromChart(1), y1 = log.getScreenYFromChart(10), y2 = log.getScreenYFromChart(100);
        assertTrue(x1 - x0 > 100, "the x axis spans the plot: " + x0 + " " + x1);
        assertEquals(x1 - x0, x2 - x1, 1.0, "a decade of x is a decade");
        assertTrue(y0 - y1 > 100, "y grows upwards: " + y0 + " " + y1);
        assertEquals(y0 - y1, y1 - y2, 1.0, "a decade of y is a decade");
        for (int i = 0; i < 3; i++) {
            assertTrue(colourAround(img, colour(0), log.getScreenXFromChart(x[i]), log.getScreenYFromChart(y[i]), 2),
                    "point " + i + " is drawn where the axes put it");
        }

        XYChart linear = description.logX(false).logY(false).toXChart(900, 540);
        BitmapEncoder.getBufferedImage(linear);
        double l0 = linear.getScreenXFromChart(1e-3), l1 = linear.getScreenXFromChart(1e-2), l2 = linear.getScreenXFromChart(1e-1);
        assertEquals(10, (l2 - l1) / (l1 - l0), 0.1, "on a linear axis the second decade is ten times longer");
    }

    @Test
    void titleAxisLabelsLegendMarkersAndColoursReachTheChart() {
        double[] x = {1, 2, 3};
        LineChart two = new LineChart("val_loss against lr", "lr", "val_loss")
                .series("d_model=64", x, new double[] {3, 2, 2.5}).series("d_model=256", x, new double[] {2.8, 2.1, 2.2});
        XYChart chart = two.markers(true).toXChart(900, 540);
        assertEquals("val_loss against lr", chart.getTitle());
        assertEquals("lr", chart.getXAxisTitle());
        assertEquals("val_loss", chart.getYAxisTitle());
        assertEquals(List.of("d_model=64", "d_model=256"), List.copyOf(chart.getSeriesMap().keySet()), "in the order given");
        assertTrue(chart.getStyler().isLegendVisible(), "two lines need a key");
        int i = 0;
        for (XYSeries s : chart.getSeriesMap().values()) {
            assertEquals(SeriesMarkers.CIRCLE, s.getMarker(), s.getName());
            assertEquals(colour(i), s.getLineColor(), s.getName());
            assertEquals(colour(i++), s.getMarkerColor(), s.getName());
        }

        XYChart plain = two.markers(false).toXChart(900, 540);
        for (XYSeries s : plain.getSeriesMap().values()) assertEquals(SeriesMarkers.NONE, s.getMarker(), s.getName());
        XYChart one = new LineChart("Learning rate", "step", "lr").series("lr", x, x).toXChart(900, 540);
        assertFalse(one.getStyler().isLegendVisible(), "the title names a lone line");
        assertFalse(new LineChart("t", "x", "y").toXChart(900, 540).getStyler().isXAxisLogarithmic());
        assertTrue(new LineChart("t", "x", "y").logX(true).toXChart(900, 540).getStyler().isXAxisLogarithmic());
    }

    @Test
    void pointsThatCannotBeDrawnAreGapsNotErrors() throws IOException {
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        LineChart chart = new LineChart("Edge cases", "x", "y")
                .series("one point", new double[] {3}, new double[] {2})
                .series("empty", new double[0], new double[0])
                .series("constant", new double[] {0, 1, 2}, new double[] {2, 2, 2})
                .series("nothing finite", new double[] {nan, 1, inf}, new double[] {1, nan, 1})
                .series("isolated", new double[] {0, 1, 2}, new double[] {nan, 1, -inf})
                .series("with infinities", new double[] {0, 1, 2, 3}, new double[] {1.5, inf, 1.6, 1.7});
        XYChart xchart = chart.toXChart(400, 300);
        assertEquals(List.of("one point", "constant", "isolated", "with infinities"), List.copyOf(xchart.getSeriesMap().keySet()),
                "series with nothing to draw are left out");
        assertEquals(colour(5), xchart.getSeriesMap().get("with infinities").getLineColor(),
                "a series keeps its colour when one before it is left out");
        assertEquals(SeriesMarkers.CIRCLE, xchart.getSeriesMap().get("one point").getMarker(), "a lone point is a dot");
        assertEquals(SeriesMarkers.NONE, xchart.getSeriesMap().get("constant").getMarker());
        BufferedImage img = chart.render(400, 300);
        assertTrue(pixelsNear(img, colour(0)) > 5, "a single point is drawn");
        assertTrue(pixelsNear(img, colour(2)) > 20, "a constant series is a visible line");
        assertTrue(pixelsNear(img, colour(4)) > 5, "a point between gaps is drawn");
        assertTrue(pixelsNear(img, colour(5)) > 20, "finite points around an infinity are drawn");

        // On a log axis, values <= 0 are gaps; nothing drawable at all still gives an image.
        BufferedImage logImg = new LineChart("log", "x", "y").series("neg", new double[] {0, 1, 2, 3}, new double[] {-1, 0, 5, 6})
                .logY(true).render(300, 200);
        assertTrue(pixelsNear(logImg, colour(0)) > 5);
        new LineChart("", "", "").render(200, 100);
        new LineChart("all gaps", "x", "y").series("zero", new double[] {1, 2}, new double[] {0, 0}).logY(true).render(200, 100);
        Path empty = dir.resolve("e.png");
        new LineChart("empty", "x", "y").series("e", new double[0], new double[0]).save(empty, 300, 200);
        assertEquals(300, ImageIO.read(empty.toFile()).getWidth());
    }

    @Test
    void stackedPanelsAreOnePngWithEachPanelInItsBand() throws IOException {
        double[] x = {0, 1, 2, 3}, y = {1, 3, 2, 4};
        LineChart first = new LineChart("first", "step", "a").series("a", x, y);
        LineChart second = new LineChart("second", "step", "b").series("a", x, y).series("b", x, y);
        LineChart third = new LineChart("third", "step", "c").series("a", x, y).series("b", x, y).series("c", x, y);
        Path png = dir.resolve("moe.png");
        LineChart.saveStacked(png, 500, 300, first, second, third);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(500, img.getWidth());
        assertEquals(900, img.getHeight());
        assertTrue(pixelsNear(img, colour(0), 0, 300) > 20);
        assertEquals(0, pixelsNear(img, colour(1), 0, 300), "the first band has one series");
        assertTrue(pixelsNear(img, colour(1), 300, 600) > 20);
        assertEquals(0, pixelsNear(img, colour(2), 0, 600), "only the last band has a third series");
        assertTrue(pixelsNear(img, colour(2), 600, 900) > 20);
    }

    @Test
    void linearTickLabelsKeepTheLeadingZeroAndUseExponentsOnlyForExtremes() {
        assertEquals("0.0028", format(LineChart.decimalPattern(0.0003, 0.003), 0.0028), "lr: not .0028");
        assertEquals("0.25", format(LineChart.decimalPattern(0.1, 1.3), 0.25));
        assertEquals("3.5", format(LineChart.decimalPattern(2.9, 5.4), 3.5));
        assertEquals("3", format(LineChart.decimalPattern(2.9, 5.4), 3.0), "no trailing zeros");
        assertEquals("2500", format(LineChart.decimalPattern(0, 5000), 2500));
        assertEquals("2.5E6", format(LineChart.decimalPattern(0, 4e6), 2.5e6));
        assertEquals("2E-4", format(LineChart.decimalPattern(1e-4, 3e-4), 2e-4));
        assertEquals("2", format(LineChart.decimalPattern(2, 2), 2), "a constant series");
    }

    private static String format(String pattern, double v) {
        return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v);
    }

    @Test
    void badSeriesAreRejectedWhenAdded() {
        LineChart chart = new LineChart("t", "x", "y").series("a", new double[2], new double[2]);
        assertThrows(IllegalArgumentException.class, () -> chart.series("bad", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> chart.series("a", new double[1], new double[1]), "duplicate");
        assertThrows(IllegalArgumentException.class, () -> chart.series(" ", new double[1], new double[1]), "blank");
    }
}
