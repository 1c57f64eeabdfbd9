package dev.squall.train;

import java.io.PrintStream;

/**
 * A one-line progress bar redrawn in place on a console; without a console (a pipe, CI) it prints
 * nothing but the periodic lines the caller asks for, so logs stay readable.
 */
final class Progress {
    private final PrintStream out;
    private final boolean console;
    private final int total;
    private final long start = System.nanoTime();
    private final int firstStep;
    private int lastWidth;

    Progress(PrintStream out, int firstStep, int total) {
        this.out = out;
        this.console = System.console() != null && System.console().isTerminal();
        this.firstStep = firstStep;
        this.total = total;
    }

    void update(int step, double loss, double valLoss, double tokensPerSecond) {
        if (!console) return;
        int width = 24;
        int filled = (int) ((long) width * step / total);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = step > firstStep ? elapsed / (step - firstStep) * (total - step) : Double.NaN;
        String line = String.format("\r%6d/%d [%s%s] loss %.4f%s tokens_per_s=%.0f ETA %s", step, total,
                "#".repeat(filled), ".".repeat(width - filled), loss,
                Double.isNaN(valLoss) ? "" : String.format(" val_loss=%.4f", valLoss), tokensPerSecond, duration(eta));
        out.print(line + " ".repeat(Math.max(0, lastWidth - line.length())));
        lastWidth = line.length();
        out.flush();
    }

    /** A line that stays: on a console it replaces the bar, which is redrawn on the next update. */
    void println(String line) {
        if (console && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            lastWidth = 0;
        }
        out.println(line);
    }

    /** Ends the bar's line so what follows starts on a fresh one. */
    void finish() {
        if (console && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
    }

    static String duration(double seconds) {
        if (Double.isNaN(seconds)) return "--";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
