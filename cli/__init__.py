"""The `motcua` command line: operators' and analysts' entry point."""
