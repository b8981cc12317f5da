"""`python -m bench`: run every benchmark and write bench/results.md."""

from bench.run import main

main()
