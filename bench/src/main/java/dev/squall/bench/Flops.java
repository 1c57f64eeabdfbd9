package dev.squall.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Floating-point work beside JMH's calls per second: a benchmark adds each call's GFLOP to
 * {@link #gflop}, and JMH reports it per second as the secondary result {@code gflop}, i.e. GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    public double gflop;
}
