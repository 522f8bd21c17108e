"""Developer tooling: training with a data fingerprint and running the whole stack."""
