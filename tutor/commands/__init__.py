"""One module per subcommand, each with `run(args) -> int`; imported lazily by `tutor.cli`."""
