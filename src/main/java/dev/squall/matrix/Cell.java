package dev.squall.matrix;

import java.util.List;

/**
 * One kernel on one device. {@code error}, {@code tol} and {@code metric} are those of the output
 * closest to (or furthest past) its tolerance; {@code outputs} has every output. A cell that threw
 * has {@code message} set, no outputs and NaN error and times.
 */
public record Cell(String kernel, String device, boolean pass, double error, double tol, String metric, String worst,
                   double firstMs, double medianMs, String message, List<Output> outputs) {

    public record Output(String name, String metric, double tol, double error, boolean pass, String why) {}
}
