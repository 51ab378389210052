"""Analysis of saved runs: summaries over seeds, growth with training size and sweeps,
statistics (intervals, McNemar, rankings) and the comparison of two runs with its
Markdown/JSON formats. Reads ``mnistbench.results`` only; never trains, never writes."""
