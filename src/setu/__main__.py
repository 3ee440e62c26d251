"""``python -m setu``: the same as the ``setu`` command."""

from setu.cli import main

if __name__ == "__main__":
    main()
