"""Process set-up the ``setu`` command does before any command runs.

**A cache for compiled code.** setu's Numba kernels are compiled once and cached on disk
(``cache=True``). Numba looks for a writable ``__pycache__`` beside the installed package, then
for a per-user cache directory (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``); with neither
(a read-only installation used by an account without a writable home: a service account, a
container with ``HOME=/nonexistent``) every command that decodes fails with "no locator
available". When the per-user cache directory cannot be written, :func:`prepare_numba_cache`
points ``NUMBA_CACHE_DIR`` at a private per-user directory in the temporary directory
(``$TMPDIR/setu-<uid>/numba``, mode 0700, refused when another user owns it) before Numba is
imported; the first command then compiles once into it. A ``NUMBA_CACHE_DIR`` set by the user is
kept, and nothing changes while the home directory is usable.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["prepare_numba_cache", "private_temp_cache"]


def _writable(path: Path, anchor: Path) -> bool:
    """True when ``path`` (created below the existing directory ``anchor``) takes a file."""
    if not anchor.is_dir():
        return False
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _user_cache_usable(environ: MutableMapping[str, str]) -> bool:
    """Whether Numba's per-user cache directory (its own fallback) can be written."""
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg:
        base = Path(xdg)
        return _writable(base / "numba", base.parent)
    home = environ.get("HOME") or _passwd_home()  # as os.path.expanduser("~") does
    if not home:
        return False
    return _writable(Path(home) / ".cache" / "numba", Path(home))


def _passwd_home() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return ""


def private_temp_cache(tmp_dir: Path | None = None) -> Path | None:
    """``<tmp>/setu-<uid>/numba``, created private to this user; None when that is not possible
    (not writable, or the directory exists and belongs to someone else or is a link)."""
    base = (tmp_dir or Path(tempfile.gettempdir())) / f"setu-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        info = base.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return None
        cache = base / "numba"
        cache.mkdir(mode=0o700, exist_ok=True)
        tempfile.TemporaryFile(dir=cache).close()
    except OSError:
        return None
    return cache


def prepare_numba_cache(
    environ: MutableMapping[str, str] | None = None, *, tmp_dir: Path | None = None
) -> Path | None:
    """Set ``NUMBA_CACHE_DIR`` when Numba would find no writable cache; returns what was set.

    Call before Numba is imported (the ``setu`` entry point does). Leaves a user's own
    ``NUMBA_CACHE_DIR`` alone, and does nothing while the per-user cache directory is writable
    (``tmp_dir``: the temporary directory to use instead of the system's, for tests).
    """
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR") or _user_cache_usable(env):
        return None
    cache = private_temp_cache(tmp_dir)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return cache
