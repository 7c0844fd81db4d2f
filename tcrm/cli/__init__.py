"""The command line: parses input, calls a service, renders the result. Nothing else."""
