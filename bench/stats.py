"""The arithmetic of `make bench`: paired ratios, their spread, and the verdicts.

On a shared machine the baseline itself moves by 2x within a run, so a page's speed
is never compared with a baseline measured minutes apart. Page and baseline are
measured in alternating short slices (interleaved), each page slice is divided by
the baseline slice beside it, and the verdict reads the median of those paired
ratios and their spread: when the spread straddles the target, the machine was too
noisy to tell, and the verdict says so instead of PASS or MISS.
"""

from dataclasses import dataclass
from statistics import median, quantiles


def interleaved(pairs):
    """The order of 2 * pairs slices: A B, B A, A B... ("A" the page, "B" its
    baseline). Swapping who goes first in every other pair cancels a steady drift
    (a machine getting busier) as well as a sudden one."""
    order = []
    for number in range(pairs):
        order += ["A", "B"] if number % 2 == 0 else ["B", "A"]
    return order


@dataclass(frozen=True)
class Spread:
    """The median of some measurements with their quartiles and their range."""

    median: float
    low: float  # 25th percentile
    high: float  # 75th percentile
    min: float
    max: float
    count: int

    @classmethod
    def of(cls, values):
        values = sorted(values)
        if not values:
            # Nothing measured: nothing to say either way (a verdict of "noisy").
            nothing = float("nan")
            return cls(nothing, nothing, nothing, nothing, nothing, 0)
        if len(values) == 1:
            low = high = values[0]
        else:
            # "inclusive": quartiles within the values measured, as for a sample
            # that is the whole population of slices.
            low, _, high = quantiles(values, n=4, method="inclusive")
        return cls(median(values), low, high, values[0], values[-1], len(values))

    def describe(self, digits=3, unit=""):
        return (
            f"{self.median:.{digits}f}{unit} (IQR {self.low:.{digits}f}-"
            f"{self.high:.{digits}f}, range {self.min:.{digits}f}-"
            f"{self.max:.{digits}f}, {self.count} pairs)"
        )


def paired_ratios(pages, baselines):
    """Each page slice's figure divided by its own baseline slice's; a pair whose
    baseline measured nothing (no request answered within the slice) says nothing
    and is left out."""
    if len(pages) != len(baselines):
        raise ValueError("a ratio needs as many page slices as baseline slices")
    return [
        page / baseline
        for page, baseline in zip(pages, baselines, strict=True)
        if baseline > 0
    ]


def verdict(spread, target, at_least=True):
    """PASS when the interquartile range is on the right side of the target, MISS
    when it is on the wrong side, "noisy" when it straddles it (the median alone
    would then be a coin toss) or nothing was measured."""
    if at_least:
        if spread.low >= target:
            return "PASS"
        if spread.high < target:
            return "MISS"
    else:
        if spread.high <= target:
            return "PASS"
        if spread.low > target:
            return "MISS"
    return "noisy"
