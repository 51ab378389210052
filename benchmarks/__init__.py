"""asv benchmarks for mnistbench (see asv.conf.json and the README's "Benchmarks (asv)")."""
