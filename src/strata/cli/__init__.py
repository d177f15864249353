"""The command line: `strata <domain> <verb>`; it parses, calls and formats, nothing else."""
