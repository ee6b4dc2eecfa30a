#!/usr/bin/env python3
"""Peer benchmark for `make bench`: the same two workloads as Flowgate's engine benchmark,
run on Prefect with its default local setup (the ephemeral API server on SQLite, loopback only).

  1. chain: one flow run that calls N no-op tasks one after another, each task getting the
     previous task's output. Reports wall time, ms per task and tasks per second.
  2. three-task flow: a flow of three sequential no-op tasks, called repeatedly after a few
     warm-up runs. Reports the latency from calling the flow function to its return (p50, p99).

Run it with the benchmark venv (see bench_venv_ensure in scripts/lib.sh):

  .venv-bench/bin/python scripts/prefect_bench.py --steps 400 --runs 50

Human-readable lines go to stdout, followed by one machine-readable line:

  RESULT {"chain_steps": 400, "chain_seconds": ..., "ms_per_step": ..., ...}

Prefect runs with a throwaway PREFECT_HOME (removed on exit), no PREFECT_* settings inherited
from the caller, analytics off and logging at WARNING. Everything else is Prefect's default.

Notes on what Prefect (3.9) does by default, which the numbers keep:
- A flow called in-process starts a heartbeat thread that sleeps in 1-second slices, and the
  call joins it before returning, so a short flow run takes up to about 1 s longer than its
  work. The chain also reports the time spent inside the flow body (ms_per_step_in_flow),
  which leaves out flow run creation, completion and that join. `--heartbeat-off` adds a
  second 3-task measurement with heartbeats disabled (three_task_no_heartbeat_*).
- Task run states reach the API server as events and are written to the database in the
  background, after the flow has returned. The script waits for the server to have recorded
  every completed task run after the chain (so the 3-task runs do not inherit that backlog)
  and at the end (so the server is idle when it is stopped), and reports that lag.
"""

import argparse
import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
import time


def isolate_prefect() -> str:
    """Points Prefect at a fresh home and the ephemeral local server.

    Must run before `prefect` is imported: Prefect reads its settings at import time.
    """
    home = tempfile.mkdtemp(prefix="flowgate-prefect-bench.")
    # atexit handlers run last-registered-first, so this one runs after Prefect's own (which
    # stop the ephemeral server that holds the SQLite database inside `home`).
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    # Drop anything that could point at another server, profile or database (PREFECT_API_URL,
    # PREFECT_PROFILE, PREFECT_SERVER_DATABASE_CONNECTION_URL, ...), so every run measures the
    # same default setup.
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[key]
    os.environ.update(
        {
            "PREFECT_HOME": home,
            # With no PREFECT_API_URL, Prefect starts a local API server subprocess on
            # 127.0.0.1 with a SQLite database in PREFECT_HOME. This is already the default
            # profile's setting; it is set here so the script does not depend on that.
            "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
            # Starting that server (imports plus database migrations) can exceed the 20 s
            # default on a busy 2-core machine, which fails the first flow call.
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
            # No anonymous usage reports: from the server (analytics) or the SDK (DO_NOT_TRACK).
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        }
    )
    return home


def percentile(samples: list[float], p: float) -> float:
    """Percentile by linear interpolation between closest ranks (numpy's default), p in [0, 100]."""
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def int_at_least(minimum: int):
    """argparse type: an integer no smaller than `minimum`."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description="Prefect peer benchmark for `make bench`.")
    parser.add_argument("--steps", type=int_at_least(1), default=400, help="tasks in the chain flow (default 400)")
    parser.add_argument("--runs", type=int_at_least(1), default=50, help="timed runs of the 3-task flow (default 50)")
    parser.add_argument("--warmup", type=int_at_least(0), default=3, help="untimed runs of the 3-task flow first (default 3)")
    parser.add_argument(
        "--heartbeat-off",
        action="store_true",
        help="also time the 3-task flow with flow run heartbeats disabled (not Prefect's default)",
    )
    args = parser.parse_args()

    isolate_prefect()
    # Turn SIGTERM into a normal exit so the atexit handlers (server stop, temp dir removal) run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    import prefect
    from prefect import flow, task
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    @task
    def step(value: str) -> str:
        return value

    chain_loop_seconds = 0.0  # time spent inside the chain flow's body, set by the flow
    expected_task_runs = 0  # task runs started so far; every one of them completes

    @flow
    def chain(steps: int, token: str) -> str:
        nonlocal chain_loop_seconds
        started = time.perf_counter()
        value = token
        for _ in range(steps):
            value = step(value)  # a direct call runs the task now and returns its result
        chain_loop_seconds = time.perf_counter() - started
        return value

    @flow
    def three_tasks(token: str) -> str:
        return step(step(step(token)))

    def three_task_latencies() -> list[float]:
        """Runs the 3-task flow `warmup` times untimed, then `runs` times timed (ms each)."""
        nonlocal expected_task_runs
        expected_task_runs += 3 * (args.warmup + args.runs)
        for i in range(args.warmup):
            three_tasks(f"warmup-{i}")
        latencies = []
        for i in range(args.runs):
            token = f"run-{i}"
            started = time.perf_counter()
            out = three_tasks(token)
            latencies.append((time.perf_counter() - started) * 1000)
            if out != token:
                raise SystemExit(f"3-task flow returned {out!r}, expected {token!r}")
        return latencies

    def wait_until_recorded(timeout: float = 120.0) -> float | None:
        """Polls the API until it has recorded every task run as completed.

        Returns the seconds waited, or None on timeout (reported, not fatal).
        """
        query = {"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        started = time.perf_counter()
        with prefect.get_client(sync_client=True) as client:
            while time.perf_counter() - started < timeout:
                response = client.request("POST", "/task_runs/count", json=query)
                response.raise_for_status()
                if response.json() >= expected_task_runs:
                    return time.perf_counter() - started
                time.sleep(0.25)
        print(f"warning: API had not recorded all {expected_task_runs} task runs after {timeout:.0f} s")
        return None

    def describe(latencies: list[float]) -> str:
        return (
            f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms "
            f"(min {min(latencies):.1f}, max {max(latencies):.1f})"
        )

    print(f"prefect {prefect.__version__} (ephemeral local API server, SQLite in a temporary PREFECT_HOME)")

    # The first flow call starts the API server subprocess and migrates its database; keep
    # that out of all measurements.
    started = time.perf_counter()
    three_tasks("warm")
    expected_task_runs += 3
    startup_seconds = time.perf_counter() - started
    print(f"server start + first 3-task flow run: {startup_seconds:.2f} s (not counted)")
    wait_until_recorded()

    expected_task_runs += args.steps
    started = time.perf_counter()
    out = chain(args.steps, "chain")
    chain_seconds = time.perf_counter() - started
    if out != "chain":
        raise SystemExit(f"chain flow returned {out!r}, expected 'chain'")
    ms_per_step = chain_seconds * 1000 / args.steps
    tasks_per_second = args.steps / chain_seconds
    ms_per_step_in_flow = chain_loop_seconds * 1000 / args.steps
    print(
        f"chain: {args.steps} sequential no-op tasks in one flow run: {chain_seconds:.3f} s, "
        f"{ms_per_step:.2f} ms/task, {tasks_per_second:.1f} tasks/s "
        f"(inside the flow body: {ms_per_step_in_flow:.2f} ms/task)"
    )
    chain_record_lag = wait_until_recorded()
    if chain_record_lag is not None:
        print(f"chain: API had recorded all {args.steps} task runs {chain_record_lag:.1f} s after the flow returned")

    default_ms = three_task_latencies()
    print(f"3-task flow, call to return, {args.runs} runs after {args.warmup} warm-up: {describe(default_ms)}")

    no_heartbeat_ms = None
    if args.heartbeat_off:
        # Same workload without the per-flow heartbeat thread (see the module docstring).
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            no_heartbeat_ms = three_task_latencies()
        print(f"3-task flow, heartbeats off (not Prefect's default): {describe(no_heartbeat_ms)}")

    final_record_lag = wait_until_recorded()
    if final_record_lag is not None:
        print(f"API had recorded all {expected_task_runs} task runs {final_record_lag:.1f} s after the last flow returned")

    result = {
        "chain_steps": args.steps,
        "chain_seconds": round(chain_seconds, 4),
        "ms_per_step": round(ms_per_step, 3),
        "tasks_per_second": round(tasks_per_second, 1),
        "ms_per_step_in_flow": round(ms_per_step_in_flow, 3),
        "three_task_runs": args.runs,
        "three_task_p50_ms": round(percentile(default_ms, 50), 2),
        "three_task_p99_ms": round(percentile(default_ms, 99), 2),
        "chain_record_lag_seconds": None if chain_record_lag is None else round(chain_record_lag, 2),
        "startup_seconds": round(startup_seconds, 2),
        "prefect_version": prefect.__version__,
    }
    if no_heartbeat_ms is not None:
        result["three_task_no_heartbeat_p50_ms"] = round(percentile(no_heartbeat_ms, 50), 2)
        result["three_task_no_heartbeat_p99_ms"] = round(percentile(no_heartbeat_ms, 99), 2)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
