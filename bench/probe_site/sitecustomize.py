"""Loaded by the app server that `bench/crowd_probe.py` starts when BENCH_PROBE_YAPPI is set (this folder
is put on the server's PYTHONPATH): yappi, on CPU time and every thread, from SIGUSR1 to SIGUSR2, saved
as a pstats file at $YAPPI_OUT. Not a dependency: `pip install yappi`."""

import os

if os.environ.get("YAPPI_OUT"):
    import signal

    import yappi

    def _start(*_args) -> None:
        yappi.set_clock_type("cpu")
        yappi.clear_stats()
        yappi.start(builtins=False, profile_threads=True)

    def _stop(*_args) -> None:
        yappi.stop()
        yappi.get_func_stats().save(os.environ["YAPPI_OUT"], type="pstat")
        open(os.environ["YAPPI_OUT"] + ".done", "w").close()  # (a mark that the file is whole)

    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
