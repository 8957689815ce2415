"""Desktop-app responsiveness, under a real X display (Xvfb is fine).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/bench_gui.py

1. launch → window usable, and launch → first verdict, against a bare Tk window launched in
   the same run (the floor any Tk app pays);
2. the longest stall of the Tk event loop while a 12 MP image is enhanced, against the
   longest stall of the idle loop over the same time;
3. how long Cancel takes to stop that enhancement;
4. how long opening another picture takes while that enhancement runs, against the same
   open with nothing running.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_runtime import photo  # noqa: E402

CHILD = """
import sys, time
start = float(sys.argv[1])
from ai_image_classifier.gui.window import App
app = App()
app.after_idle(lambda: print("usable", time.time() - start, flush=True))
app.open_path(__import__("pathlib").Path(sys.argv[2]))
def check():
    if app.current is not None and app.current.verdict is not None:
        print("verdict", time.time() - start, flush=True)
        app.close()
    else:
        app.after(2, check)
check()
app.mainloop()
"""
BARE = """
import sys, time, tkinter
start = float(sys.argv[1])
root = tkinter.Tk()
root.after_idle(lambda: (print("usable", time.time() - start, flush=True), root.destroy()))
root.mainloop()
"""


def launch(code: str, *args: str) -> dict[str, float]:
    started = time.time()
    output = subprocess.run([sys.executable, "-c", code, str(started), *args], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split() for line in output.splitlines())}


def loop_gaps(app, until, limit: float) -> float:
    """Largest gap between 10 ms `after` ticks while `until()` is false (or `limit` s pass)."""
    gaps: list[float] = []
    last = [time.perf_counter()]
    started = time.perf_counter()

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if until() or now - started > limit:
            app.quit()
        else:
            app.after(10, tick)

    app.after(10, tick)
    app.mainloop()
    return max(gaps)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        os.environ["AIIC_CONFIG_DIR"] = temp
        image = photo(Path(temp) / "12mp.jpg", 4000, 3000)
        small = photo(Path(temp) / "small.jpg", 640, 480)
        runs = [launch(CHILD, str(small)) for _ in range(3)]
        bare = statistics.median(launch(BARE)["usable"] for _ in range(3))
        usable = statistics.median(r["usable"] for r in runs)
        verdict = statistics.median(r["verdict"] for r in runs)

        from ai_image_classifier.gui.window import App

        app = App()
        app.open_path(image)
        loop_gaps(app, lambda: app.current is not None and app.current.verdict is not None, 60)
        app.start_enhance()
        busy = loop_gaps(app, lambda: app.current.enhanced is not None, 300)
        enhance_seconds = None if app.current.enhanced is None else "done"
        idle = loop_gaps(app, lambda: False, 3)
        app.start_enhance()
        loop_gaps(app, lambda: app.enhance_progress.get() > 0, 60)
        app.cancel_enhance()
        asked = time.perf_counter()
        loop_gaps(app, lambda: app.enhance_token is None, 30)
        cancel = time.perf_counter() - asked
        app.start_enhance()  # opening another picture while a 12 MP enhancement runs
        loop_gaps(app, lambda: app.enhance_progress.get() > 0, 60)
        asked = time.perf_counter()
        app.open_path(small)
        loop_gaps(app, lambda: app.current.path == small, 60)
        shown = time.perf_counter() - asked
        app.cancel_enhance()
        loop_gaps(app, lambda: app.enhance_token is None, 30)
        app.open_path(image)  # the same kind of open with nothing running, in the same run
        loop_gaps(app, lambda: app.current.path == image, 60)
        asked = time.perf_counter()
        app.open_path(small)
        loop_gaps(app, lambda: app.current.path == small, 60)
        idle_open = time.perf_counter() - asked
        app.close()

    print("| measurement | ours | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    print(f"| launch → window usable | {usable:.2f} s | {bare:.2f} s bare Tk window | "
          f"{usable / bare:.1f}× | ≤ 0.5 s |")
    print(f"| launch → first verdict (640×480 JPEG) | {verdict:.2f} s | {bare:.2f} s bare Tk "
          f"window | {verdict / bare:.1f}× | ≤ 1.0 s |")
    print(f"| longest event-loop stall while enhancing 12 MP ({enhance_seconds}) | "
          f"{busy * 1000:.0f} ms | {idle * 1000:.0f} ms idle | {busy / idle:.1f}× | ≤ 100 ms |")
    print(f"| Cancel → enhancement stopped (12 MP) | {cancel:.2f} s | – | – | ≤ 0.5 s |")
    print(f"| open a picture during a 12 MP enhancement → shown | {shown:.2f} s | "
          f"{idle_open:.2f} s with nothing running | {shown / idle_open:.1f}× | ≤ 0.5 s |")


if __name__ == "__main__":
    main()
