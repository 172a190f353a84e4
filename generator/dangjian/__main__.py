"""`python -m dangjian`: the same command line as the `dangjian` script, for where scripts are not on PATH."""

from .cli import run

if __name__ == "__main__":
    run()
