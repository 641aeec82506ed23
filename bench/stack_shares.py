"""Top-N tables from py-spy's raw output (collapsed stacks: `frame;frame;...;leaf count`).

Per function: self share (the function was the leaf: its own code ran) and total share (it was
anywhere on the stack: it or something it called ran), each as a percentage of all samples;
and per package, the self shares summed (where the time is actually spent).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_LINE_NUMBER = re.compile(r":\d+\)$")  # "func (app/x.py:12)" -> "func (app/x.py)"
_FILE = re.compile(r"\(([^()]*)\)$")


@dataclass(frozen=True)
class Shares:
    samples: int
    self_samples: Counter[str]  # function -> samples with it as the leaf
    total_samples: Counter[str]  # function -> samples with it anywhere on the stack
    package_samples: Counter[str]  # package -> self samples of its functions


def package_of(function: str) -> str:
    """`app/http/x.py` -> `app/http`; `aiohttp/web.py` -> `aiohttp`; `uuid.py` -> `uuid.py`."""
    found = _FILE.search(function)
    path = found.group(1) if found else function
    parts = path.split("/")
    if parts[0] == "app" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def collapse(lines: Iterable[str]) -> Shares:
    self_samples: Counter[str] = Counter()
    total_samples: Counter[str] = Counter()
    package_samples: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.strip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        self_samples[frames[-1]] += n
        package_samples[package_of(frames[-1])] += n
        for function in set(frames):  # a recursive function counts once per sample
            total_samples[function] += n
    return Shares(samples, self_samples, total_samples, package_samples)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "0.0 %"


def top_table(shares: Shares, top: int) -> str:
    lines = ["| self | total | function |", "|---:|---:|---|"]
    for function, n in shares.self_samples.most_common(top):
        total = shares.total_samples[function]
        lines.append(
            f"| {_percent(n, shares.samples)} | {_percent(total, shares.samples)} | {function} |"
        )
    lines += ["", "| total | function (anywhere on the stack) |", "|---:|---|"]
    # Frames on every stack (the interpreter's entry, the event loop) say nothing.
    below_root = [(f, n) for f, n in shares.total_samples.most_common() if n < shares.samples]
    for function, n in below_root[:top]:
        lines.append(f"| {_percent(n, shares.samples)} | {function} |")
    lines += ["", "| self | package |", "|---:|---|"]
    for package, n in shares.package_samples.most_common():
        lines.append(f"| {_percent(n, shares.samples)} | {package} |")
    return "\n".join(lines)


def stage_shares(shares: Shares, stages: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """Per stage, the share of samples (0-1) with one of its functions on the stack. A stage's
    functions must not call each other (their totals are added up)."""
    by_name: Counter[str] = Counter()
    for function, n in shares.total_samples.items():
        by_name[function.partition(" (")[0]] += n
    return {
        stage: sum(by_name[name] for name in names) / shares.samples if shares.samples else 0.0
        for stage, names in stages.items()
    }


def stage_table(shares: Shares, stages: dict[str, tuple[str, ...]], us_per_request: float) -> str:
    """Each stage's share of the samples, and that share of a request's server time."""
    lines = ["| stage | share | µs per request |", "|---|---:|---:|"]
    for stage, share in stage_shares(shares, stages).items():
        lines.append(f"| {stage} | {100 * share:.1f} % | {share * us_per_request:.0f} |")
    return "\n".join(lines)
