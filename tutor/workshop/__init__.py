"""Workshop exercises: checking them against the simulator, running them, and judging goals."""
