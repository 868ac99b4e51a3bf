"""Finite-capacity scheduling (issue 7). The solver modules here are pure Python and
OR-Tools: no Django import, so they run in a worker, a benchmark or a test alike."""
