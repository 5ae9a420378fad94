"""Limits of the processes that run pages: a page's time limit, and workers that end with their parent.

:class:`page_time_limit` stops a page that runs too long in a stage (a SIGALRM timer in a
main thread, an asynchronous exception from a timer thread elsewhere, as under Dask);
:func:`exit_with_parent` makes a pool worker end when the run's process does, even when it
is killed with SIGKILL. Both are used by :mod:`pipeline.run.runner`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any


class PageTimeout(BaseException):
    """A page took longer than the time limit in a stage.

    A BaseException (like KeyboardInterrupt), so that a stage's own ``except Exception``
    cannot swallow it; the runner catches it around each page and records an errors row.
    """

    reason = "timeout"


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class page_time_limit:  # noqa: N801 - used like a function: ``with page_time_limit(60, "clean"):``
    """Raise :class:`PageTimeout` in the block when it runs longer than ``seconds`` (0: no limit).

    In a process's main thread (the in-process loop, ``--jobs 1``, and the local pool's workers)
    it is SIGALRM (``setitimer``): the signal handler runs between Python bytecodes, and the
    ``re`` and ``regex`` modules check for signals while matching, so a runaway regex or a Python
    loop is interrupted; a C extension call that never checks for signals is interrupted only
    when it returns. In another thread (Dask runs tasks in worker threads) a timer thread raises
    the exception in the block's thread (``PyThreadState_SetAsyncExc``) at its next bytecode: a
    Python loop is interrupted, a long C call (a runaway regex) when it returns. When the calling
    program has its own ITIMER_REAL timer running it is not touched and the block runs without a
    limit. The timer is always cleared and the previous handler restored, whatever happens.
    """

    def __init__(self, seconds: float, stage: str) -> None:
        self.seconds = seconds
        self.stage = stage
        self.armed = False
        self.active = False
        self.previous: Any = None
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def _message(self) -> str:
        return f"{self.stage} took longer than {self.seconds:g} s (--page-timeout)"

    def _fire(self, signum: int, frame: Any) -> None:
        if self.armed:
            self.armed = False
            raise PageTimeout(self._message())

    def _fire_in_thread(self, ident: int) -> None:
        import ctypes

        with self.lock:
            if self.armed:
                self.armed = False
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_ThreadTimeout))

    def __enter__(self) -> page_time_limit:
        if self.seconds <= 0:
            return self
        if _can_alarm():
            # a timer someone else set (the caller's own alarm) is left alone: no limit then
            if signal.getitimer(signal.ITIMER_REAL)[0] == 0:
                self.previous = signal.signal(signal.SIGALRM, self._fire)
                self.active = self.armed = True
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
        elif threading.current_thread() is not threading.main_thread():
            self.armed = True
            self.timer = threading.Timer(self.seconds, self._fire_in_thread, (threading.get_ident(),))
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if self.timer is not None:
            import ctypes

            with self.lock:
                fired, self.armed = not self.armed, False
                self.timer.cancel()
                if fired and exc_type is None:  # fired as the block ended: take back the pending exception
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)
            if exc_type is _ThreadTimeout:
                raise PageTimeout(self._message()) from None
            return False
        if not self.active:
            return False
        self.armed = self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous if self.previous is not None else signal.SIG_DFL)
        return False


class _ThreadTimeout(PageTimeout):
    """Raised asynchronously in a thread by :class:`page_time_limit` (a class without arguments, as
    ``PyThreadState_SetAsyncExc`` needs); turned into a :class:`PageTimeout` with its message."""


def exit_with_parent(parent: int) -> None:
    """Make this worker process end when its parent does, even by SIGKILL (a pool initializer).

    On Linux the kernel sends SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere a daemon thread checks every second whether the parent is gone. Either way the
    parent's death before this call is caught by comparing ``os.getppid()`` with ``parent``.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent:
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="zhibiao-parent-watch", daemon=True).start()
