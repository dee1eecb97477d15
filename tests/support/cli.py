"""Running the `motcua` command line in-process, as the CLI tests do."""
from cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `motcua <argv…>` and return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
