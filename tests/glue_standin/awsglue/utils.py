def getResolvedOptions(argv, names):  # noqa: N802 - the real API's name
    """Like awsglue.utils.getResolvedOptions: every named `--name value` pair is required."""
    values = {}
    args = list(argv[1:])
    for i, arg in enumerate(args):
        if arg.startswith("--") and i + 1 < len(args):
            values[arg[2:]] = args[i + 1]
    missing = [n for n in names if n not in values]
    if missing:
        raise SystemExit("missing job arguments: " + ", ".join(missing))
    return {n: values[n] for n in names}
