"""Synthetic nation: institutions, donors, families and genotypes for demo, tests, benchmarks."""

from hgr.synth.nation import NationSummary, SynthConfig, synthesise_nation

__all__ = ["NationSummary", "SynthConfig", "synthesise_nation"]
