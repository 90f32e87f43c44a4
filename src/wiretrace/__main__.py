"""python -m wiretrace: the command-line tool."""

from wiretrace.cli import main

if __name__ == "__main__":
    main()
