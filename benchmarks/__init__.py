"""Benchmarks and the generated cases they (and the equivalence tests) use."""
