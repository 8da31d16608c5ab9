"""Many runs with a question: paired comparisons, sweeps and designs, calibration."""
