package dev.squall.plot;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePlotTest {
    @TempDir Path dir;

    /** Pixels within a small RGB distance of {@code c}: anti-aliasing blends line edges. */
    static int pixelsNear(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int dr = ((rgb >> 16) & 0xFF) - c.getRed(), dg = ((rgb >> 8) & 0xFF) - c.getGreen();
                int db = (rgb & 0xFF) - c.getBlue();
                if (dr * dr + dg * dg + db * db < 30 * 30) n++;
            }
        }
        return n;
    }

    static double[] range(int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = i * scale;
        return a;
    }

    @Test
    void writesAPngOfTheRequestedSizeWithEverySeries() throws IOException {
        int n = 200;
        double[] x = range(n, 10), a = new double[n], b = new double[n], c = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = 5 * Math.exp(-i / 40.0) + 0.5;
            b[i] = 4 * Math.exp(-i / 60.0) + 0.7;
            c[i] = i % 50 == 25 ? Double.NaN : 3 + Math.sin(i / 10.0) * 0.3; // gaps
        }
        Path png = dir.resolve("loss.png");
        new LinePlot("Loss", "step", "loss").series("a", x, a).series("b", x, b).series("c", x, c).logY(true)
                .save(png, 640, 400);
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                java.util.Arrays.copyOf(bytes, 8), "PNG signature");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        for (int s = 0; s < 3; s++) {
            int count = pixelsNear(img, LinePlot.PALETTE[s]);
            assertTrue(count > 100, "series " + s + " has only " + count + " pixels of its colour");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(png), files.toList(), "no temporary file left");
        }
    }

    @Test
    void logXGivesEachDecadeTheSameWidth() {
        // Two flat segments at mid height (clear of the legend), one decade each: equally long on a
        // log axis, 1:10 on a linear one. Large enough that the line core is the exact colour.
        double[] low = {1e-3, 1e-2}, high = {1e-2, 1e-1};
        LinePlot p = new LinePlot("lr sweep", "lr", "loss")
                .series("low", low, new double[] {1, 1}).series("high", high, new double[] {1, 1})
                .series("skipped", new double[] {0, -1}, new double[] {1.5, 1.5});
        BufferedImage log = p.logX(true).render(1200, 800);
        double ratio = (double) pixelsNear(log, LinePlot.PALETTE[1]) / pixelsNear(log, LinePlot.PALETTE[0]);
        assertEquals(1.0, ratio, 0.15, "a decade is a decade");
        BufferedImage lin = new LinePlot("lr sweep", "lr", "loss")
                .series("low", low, new double[] {1, 1}).series("high", high, new double[] {1, 1}).render(1200, 800);
        assertTrue(pixelsNear(lin, LinePlot.PALETTE[1]) > 4 * pixelsNear(lin, LinePlot.PALETTE[0]),
                "on a linear axis the second decade is ten times wider");
    }

    @Test
    void degenerateSeriesDrawWithoutErrors() throws IOException {
        double nan = Double.NaN;
        LinePlot p = new LinePlot("Edge cases", "x", "y")
                .series("one point", new double[] {3}, new double[] {2})
                .series("empty", new double[0], new double[0])
                .series("constant", new double[] {0, 1, 2}, new double[] {2, 2, 2})
                .series("all NaN", new double[] {nan, 1}, new double[] {1, nan})
                .series("isolated", new double[] {0, 1, 2}, new double[] {nan, 1, nan});
        BufferedImage img = p.render(400, 300);
        assertTrue(pixelsNear(img, LinePlot.PALETTE[0]) > 5, "a single point is drawn as a dot");
        assertTrue(pixelsNear(img, LinePlot.PALETTE[2]) > 20, "a constant series is a visible line");
        assertTrue(pixelsNear(img, LinePlot.PALETTE[4]) > 5, "a point between gaps is a dot");
        p.logY(true).render(400, 300);

        // Nothing drawable at all, and log axes with non-positive values (skipped as gaps).
        new LinePlot("", "", "").render(200, 100);
        new LinePlot("empty", "x", "y").series("e", new double[0], new double[0]).save(dir.resolve("e.png"), 300, 200);
        new LinePlot("log", "x", "y").series("neg", new double[] {0, 1, 2}, new double[] {-1, 0, 5}).logY(true)
                .render(300, 200);
        new LinePlot("tiny", "x", "y").series("s", new double[] {1, 2}, new double[] {1e-12, 1e-12 + 1e-20})
                .render(64, 48);
        assertThrows(IllegalArgumentException.class, () -> new LinePlot("t", "x", "y").series("bad",
                new double[2], new double[3]));
    }

    @Test
    void ticksAreRoundNumbersWithConsistentDecimals() {
        assertEquals(List.of("0", "2", "4", "6", "8", "10"), labels(LinePlot.linearTicks(0, 10, 5)));
        assertEquals(List.of("0.5", "1.0", "1.5", "2.0"), labels(LinePlot.linearTicks(0.4, 2.1, 4)));
        assertEquals(List.of("-0.2", "0", "0.2"), labels(LinePlot.linearTicks(-0.25, 0.25, 3)));
        assertEquals(List.of("0", "5e5", "1e6", "1.5e6", "2e6"), labels(LinePlot.linearTicks(0, 2.1e6, 4)));
        assertEquals(List.of("1e-4", "2e-4", "3e-4"), labels(LinePlot.linearTicks(1e-4, 3e-4, 2)));
        assertEquals(List.of("0.01", "0.1", "1", "10", "100"),
                labels(LinePlot.logTicks(-2, 2, 400).stream().filter(LinePlot.Tick::major).toList()));
        assertEquals(List.of("1e-8", "1e-6", "1e-4", "0.01", "1"),
                labels(LinePlot.logTicks(-8, 0, 200).stream().filter(LinePlot.Tick::major).toList()));
        assertEquals(List.of("2", "3", "5", "10", "20"), labels(LinePlot.logTicks(Math.log10(1.5), Math.log10(25), 300)));
        assertEquals(List.of("2.1", "2.2", "2.3", "2.4", "2.5", "2.6"),
                labels(LinePlot.logTicks(Math.log10(2.1), Math.log10(2.6), 300)));
    }

    private static List<String> labels(List<LinePlot.Tick> ticks) {
        return ticks.stream().map(LinePlot.Tick::label).toList();
    }
}
