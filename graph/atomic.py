"""Write files so that a reader never sees half of one, and never replace what is not a file.

A regular file is written beside itself and renamed over the old one, so it holds either the old
bytes or the new ones. Where the name is a symlink to a regular file, the file it points at is
replaced and the link stays a link. Devices (/dev/null, /dev/full, a terminal), FIFOs and
stdout-like names (/dev/stdout, /proc/self/fd/1) cannot be renamed over without destroying them,
so they are written through, in place. A FIFO that nobody reads fails at once instead of hanging.

On Linux the new bytes go into an unnamed file (O_TMPFILE) that is given a name only at the last
moment, so a process killed mid-write leaves nothing behind; elsewhere, a named temp file that a
timeout removes before it ends the process.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

# Temp files still open, so a timeout that ends the process can remove them first.
_open_temps: set[str] = set()


def discard_open_temps() -> None:
    for name in list(_open_temps):
        with suppress(OSError):
            os.unlink(name)
        _open_temps.discard(name)


def _through_error(exc: OSError) -> OSError:
    exc.aihkg_through = True  # type: ignore[attr-defined] - read by write_error
    return exc


def write_error(path: str | os.PathLike[str], exc: OSError) -> str:
    """The one-line message for a failed write to `path`, saying whether the old file survived."""
    reason = exc.strerror or str(exc)
    if getattr(exc, "aihkg_through", False):
        return f"{path}: cannot write ({reason})"
    return f"{path}: cannot write ({reason}); nothing was changed"


def output_kind(path: str | os.PathLike[str]) -> tuple[str, Path]:
    """("replace", file) for a regular or new file, or for a symlink the file it points at;
    ("through", path) for a device, FIFO, socket, or a name for an open file (/proc/self/fd/1)."""
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        # New, or a symlink whose target does not exist yet: create the target, keep the link.
        return "replace", Path(os.path.realpath(target)) if target.is_symlink() else target
    except OSError:
        return "replace", target  # let the write report it (ENOTDIR, EACCES, ELOOP ...)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(st.st_mode) or _names_open_file(target):
        return "through", target
    return "replace", Path(os.path.realpath(target)) if target.is_symlink() else target


def _names_open_file(target: Path) -> bool:
    """Whether a symlink chain from `target` passes through /proc/.../fd or /dev/fd: such a name is
    an open file (stdout redirected with > or >>), which a rename would detach from its writer."""
    here = Path(os.path.abspath(target))
    for _ in range(40):
        if str(here).startswith(("/proc/", "/dev/fd/")):
            return True
        if not here.is_symlink():
            return False
        here = Path(os.path.normpath(here.parent / os.readlink(here)))
    return True


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it replaces `path` in one rename, on failure nothing changes.

    A device, FIFO or stdout-like `path` is written in place (see the module's docstring).
    """
    kind, target = output_kind(path)
    if kind == "through":
        with _write_through(target) as fh:
            yield fh
        return
    folder = target.parent if str(target.parent) else Path(".")
    mode = _mode_for(target)
    fd, tmp = _unnamed_file(folder, target.name, mode)
    if tmp:
        _open_temps.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            if tmp is None:
                tmp = _name_unnamed(fh.fileno(), folder, target.name)
        os.replace(tmp, target)
    except BaseException:
        if tmp:
            with suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        if tmp:
            _open_temps.discard(tmp)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    with atomic_writer(path) as fh:
        write(fh)


@contextmanager
def _write_through(target: Path) -> Iterator[BinaryIO]:
    # O_NONBLOCK: opening a FIFO for writing waits for a reader; fail at once (ENXIO) instead.
    # O_APPEND: /proc/self/fd/1 opened afresh would start at offset 0 of a file stdout appends to.
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            mode = os.stat(target).st_mode
            reason = ("no process is reading from this FIFO" if stat.S_ISFIFO(mode)
                      else "it is a socket" if stat.S_ISSOCK(mode) else "no such device")
            exc = OSError(errno.ENXIO, reason, str(target))
        raise _through_error(exc) from None
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
    except OSError as exc:
        raise _through_error(exc) from None


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return 0o644 & ~_umask()


def _unnamed_file(folder: Path, name: str, mode: int) -> tuple[int, str | None]:
    """A file in `folder` with no name yet (Linux O_TMPFILE), else a named temp file."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag and os.path.isdir("/proc/self/fd"):
        try:
            fd = os.open(folder, flag | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), mode)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
        else:
            os.fchmod(fd, mode)  # the mode given to open is filtered by the umask
            return fd, None
    import tempfile  # only where O_TMPFILE is missing: it pulls in shutil, random, bz2 and lzma

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.fchmod(fd, mode)
    return fd, tmp


def _name_unnamed(fd: int, folder: Path, name: str) -> str:
    """Give an O_TMPFILE file a temp name beside its target, just before the rename."""
    # linkat(AT_SYMLINK_FOLLOW) through /proc/self/fd is how an O_TMPFILE file gets a name; os.link
    # uses linkat with that flag only when given a dir_fd (without one it calls link(), which fails).
    where = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        for _ in range(100):
            leaf = f".{name}.{os.urandom(6).hex()}.tmp"
            try:
                os.link(f"/proc/self/fd/{fd}", leaf, dst_dir_fd=where, follow_symlinks=True)
            except FileExistsError:
                continue
            tmp = str(folder / leaf)
            _open_temps.add(tmp)
            return tmp
    finally:
        os.close(where)
    raise FileExistsError(errno.EEXIST, "no free temp name", str(folder))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
