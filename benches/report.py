"""Turns a pytest-benchmark JSON file into the ratio tables of benches/RESULTS.md.

Usage: python benches/report.py BENCH.json
Each figure is a median; ratios are against faiss (and numpy) measured in the same run, or, for
figures labelled with a ``comparison`` (benches/test_bench_encoder.py), against that
comparison's anchor.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

ENGINES = ("facegate", "facegate_int8", "faiss", "numpy")


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        runs: list[dict[str, Any]] = json.load(handle)["benchmarks"]
    table: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    protect: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    pipeline: list[tuple[str, str, int, float]] = []
    compared: dict[str, list[dict[str, Any]]] = defaultdict(list)
    latencies: list[dict[str, Any]] = []
    top_k: dict[tuple[int, int, int], dict[str, float]] = defaultdict(dict)
    for run in runs:
        info = run["extra_info"]
        if "latency" in info:
            latencies.append(info)
            continue
        if "comparison" in info:
            compared[info["comparison"]].append({**info, "median": run["stats"]["median"]})
            continue
        if "stage" in info:
            pipeline.append((info["stage"], info["engine"], info["n"], run["stats"]["median"]))
            continue
        if "k" in info:
            top_k[(info["n"], info["batch"], info["k"])][info["engine"]] = run["stats"]["median"]
            continue
        if "operation" in info:
            protect[(info["operation"], info["n"])][info["engine"]] = run["stats"]["median"]
            continue
        table[(info["n"], info["batch"])][info["engine"]] = run["stats"]["median"]
    if latencies:
        print("| a change seen by another worker | changes | median | worst |")
        print("|---|---:|---:|---:|")
        for info in latencies:
            median, worst = info["median"] * 1e3, info["worst"] * 1e3
            print(f"| {info['latency']} | {info['n']:,} | {median:.2f} ms | {worst:.2f} ms |")
        print()
    if pipeline:
        print("| stage | engine | images | median | images per second |")
        print("|---|---|---:|---:|---:|")
        for stage, engine, n, seconds in pipeline:
            print(f"| {stage} | {engine} | {n} | {seconds * 1e3:,.2f} ms | {n / seconds:,.1f} |")
        print()
    if protect:
        print("| operation | templates | facegate | cryptography AESGCM from Python | ratio |")
        print("|---|---:|---:|---:|---:|")
        for (operation, n), times in sorted(protect.items()):
            cells = [operation, f"{n:,}", _time(times, "facegate"), _time(times, "cryptography")]
            cells.append(_ratio(times, "facegate", "cryptography"))
            print("| " + " | ".join(cells) + " |")
        print()
    for comparison, rows in compared.items():
        _comparison(comparison, rows)
    if top_k:
        _top_k(top_k)
    if not table:
        return
    print(
        "| gallery | batch | facegate exact | facegate int8 | faiss IndexFlatL2 | numpy "
        "| exact vs faiss | int8 vs exact | exact vs numpy |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (n, batch), times in sorted(table.items()):
        cells = [f"{n:,}", str(batch)]
        cells += [_ms(times, name) for name in ENGINES]
        cells += [_ratio(times, "facegate", "faiss"), _ratio(times, "facegate_int8", "facegate")]
        cells += [_ratio(times, "facegate", "numpy")]
        print("| " + " | ".join(cells) + " |")


def _top_k(table: dict[tuple[int, int, int], dict[str, float]]) -> None:
    """Batched top-k: facegate against the better of faiss on one and on two threads, with the
    arithmetic rate facegate reached (a batch is 2 x n x batch x 128 FLOP)."""
    print(
        "| gallery | batch | k | facegate | faiss 1 thread | faiss 2 threads "
        "| vs best faiss | GFLOP/s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (n, batch, k), times in sorted(table.items()):
        cells = [f"{n:,}", str(batch), str(k)]
        cells += [_time(times, name) for name in ("facegate", "faiss-1t", "faiss-2t")]
        faiss = {name: t for name, t in times.items() if name.startswith("faiss")}
        best = {"faiss": min(faiss.values())} if faiss else {}
        cells.append(_ratio({**times, **best}, "facegate", "faiss"))
        flop = 2.0 * n * batch * 128
        cells.append(f"{flop / times['facegate'] / 1e9:.0f}" if "facegate" in times else "—")
        print("| " + " | ".join(cells) + " |")
    print()


def _comparison(comparison: str, rows: list[dict[str, Any]]) -> None:
    """One comparison's table: time per call and per item, and each engine's speed against the
    anchor with the issue's target; without an anchor (the stages of one pipeline), each row's
    share of their sum."""
    anchor = next((row for row in rows if row["anchor"]), None)
    unit = rows[0]["unit"]
    total = sum(row["median"] for row in rows)
    last = "vs anchor (target)" if anchor else "share"
    print(f"**{comparison}** ({rows[0]['cores']} cores)")
    print()
    print(f"| engine | per call | {unit} | per item | {unit} per second | {last} |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        seconds, n = row["median"], row["n"]
        cells = [row["engine"], _time({"t": seconds}, "t"), str(n), _time({"t": seconds / n}, "t")]
        cells.append(f"{n / seconds:,.1f}")
        if anchor is None:
            cells.append(f"{seconds / total:.1%}")
        elif row is anchor:
            cells.append("1.00x (anchor)")
        else:
            speed = (anchor["median"] / anchor["n"]) / (seconds / n)
            target = f" ({row['target']:g}x)" if "target" in row else ""
            cells.append(f"{speed:.2f}x{target}")
        print("| " + " | ".join(cells) + " |")
    paths = next((row["simd_paths"] for row in rows if "simd_paths" in row), None)
    if paths is not None:
        print()
        print(f"SIMD paths of this CPU: {', '.join(paths)}.")
    print()


def _time(times: dict[str, float], name: str) -> str:
    if name not in times:
        return "—"
    value = times[name]
    return (
        f"{value:.3f} s"
        if value >= 1
        else f"{value * 1e6:,.2f} µs"
        if value < 1e-3
        else _ms(times, name)
    )


def _ms(times: dict[str, float], name: str) -> str:
    return f"{times[name] * 1e3:,.2f} ms" if name in times else "—"


def _ratio(times: dict[str, float], fast: str, slow: str) -> str:
    """How many times faster ``fast`` ran than ``slow``."""
    return f"{times[slow] / times[fast]:.2f}x" if fast in times and slow in times else "—"


if __name__ == "__main__":
    main(sys.argv[1])
