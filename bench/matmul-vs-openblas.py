#!/usr/bin/python3
"""Squall / OpenBLAS per shape and product, from MatmulBench's JMH results in JSON.

Usage:
  ./squall bench '\\.MatmulBench\\.' -rf json -rff matmul.json
  bench/matmul-vs-openblas.py matmul.json

Prints one row per shape and product: each side's GFLOP/s (the :gflop secondary result, with JMH's
99.9% error) and Squall's divided by OpenBLAS's. A shape measured on one side only shows a dash.
"""

import json
import sys

PRODUCTS = ("forward", "backwardInput", "backwardWeight")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    gflops = {}  # (shape, product, library) -> (score, error)
    for result in json.load(open(sys.argv[1])):
        cls, _, product = result["benchmark"].rpartition(".")
        if not cls.endswith(".MatmulBench") or "gflop" not in result.get("secondaryMetrics", {}):
            continue
        g = result["secondaryMetrics"]["gflop"]
        # JMH writes the error as the string "NaN" when there was one measured iteration.
        gflops[(result["params"]["shape"], product, result["params"]["library"])] = (float(g["score"]), float(g["scoreError"]))
    if not gflops:
        sys.exit(f"{sys.argv[1]}: no MatmulBench results with a gflop counter")
    shapes = sorted({k[0] for k in gflops}, key=lambda s: [int(v) for v in s.split("x")])

    def cell(key):
        if key not in gflops:
            return "-"
        score, error = gflops[key]
        return f"{score:.0f} ± {error:.0f}" if error == error else f"{score:.0f}"

    print(f"{'N x C x OC':<16} {'product':<15} {'squall GFLOP/s':>15} {'openblas GFLOP/s':>17} {'squall/openblas':>16}")
    for shape in shapes:
        for product in PRODUCTS:
            squall, blas = (shape, product, "squall"), (shape, product, "openblas")
            if squall not in gflops and blas not in gflops:
                continue
            ratio = f"{gflops[squall][0] / gflops[blas][0]:.2f}" if squall in gflops and blas in gflops else "-"
            print(f"{shape:<16} {product:<15} {cell(squall):>15} {cell(blas):>17} {ratio:>16}")


if __name__ == "__main__":
    main()
