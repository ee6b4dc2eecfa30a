"""Process plumbing shared by the test identity providers (oidc_op.py, saml_idp.py)."""
import os
import signal
import threading
import time


def accept_termination():
    """Unblocks SIGTERM/SIGINT: a parent that spawns us from a thread with those signals
    blocked (Foundation's Process does) would otherwise be unable to stop us by pid."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


def watch_parent(pid):
    """Exits this process when the test process that started it is gone (no orphans)."""

    def loop():
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except OSError:
                os._exit(0)

    threading.Thread(target=loop, daemon=True).start()
