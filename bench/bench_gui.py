"""Desktop-app responsiveness, under a real X display (Xvfb is fine).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/bench_gui.py

1. launch → window usable (mapped, whole, its first frame drawn) and launch → first verdict,
   against a bare Tk window launched in the same run (the floor any Tk app pays), with the
   longest stall of the event loop from usable to the verdict;
2. the longest stall of the Tk event loop while a 12 MP photo is opened and judged, while it
   is enhanced, and while the result is saved, against the idle loop's over the same time;
3. how long Cancel takes to stop that enhancement;
4. how long opening another picture takes while that enhancement runs, against the same
   open with nothing running;
5. the window's peak memory when a 12 MP photo is judged and enhanced 4× (a fresh process).
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

from bench.bench_runtime import OWN_PEAK_MIB, photo  # noqa: E402

CHILD = """
import sys, time
start = float(sys.argv[1])
from ai_image_classifier.allocator import return_freed_memory
from ai_image_classifier.gui.model_flow import load_early
return_freed_memory()  # as the app's start does (gui.main),
load_early()  # and before the window module is imported
from ai_image_classifier.gui.window import App
app = App()
last, stalls, shown = [None], [0.0], []
def usable(_event=None):
    if not shown:
        shown.append(1)
        app.after_idle(lambda: print("usable", time.time() - start, flush=True))
app.bind("<Map>", usable, add="+")
app.pictures.open(__import__("pathlib").Path(sys.argv[2]))
def check():
    now = time.perf_counter()
    if last[0] is not None and shown:  # from the moment it is usable
        stalls[0] = max(stalls[0], now - last[0])
    last[0] = now
    current = app.pictures.current
    if current is not None and current.verdict is not None:
        print("verdict", time.time() - start, flush=True)
        print("stall", stalls[0], flush=True)
        app.close()
    else:
        app.after(5, check)
app.after(5, check)
app.mainloop()
"""
FOUR_X = """
import sys
from ai_image_classifier.allocator import return_freed_memory
return_freed_memory()  # as the app's start does (gui.main)
from ai_image_classifier.gui.window import App
app = App()
app.pictures.open(__import__("pathlib").Path(sys.argv[2]))
app.side.enhance.choose(scale=4)
def check(started=[False]):
    current = app.pictures.current
    if not started[0] and current is not None and current.verdict is not None:
        started[0] = True
        app.side.enhance.enhance_button.invoke()
    elif started[0] and app.enhancer.token is None:
        enhanced = current.enhanced
        if enhanced is None or enhanced.pixels.shape[0] != 4 * current.rgb.shape[0]:
            print("failed 1", flush=True)  # no 4× result: say so rather than wait forever
        else:
            print("peak", PEAK * 2**20 / 1e9, flush=True)
        app.close()
        return
    app.after(50, check)
app.after(50, check)
app.mainloop()
""".replace("PEAK", OWN_PEAK_MIB)
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


class Dialogs:
    """Answers the save dialog with a fixed file; everything else declined."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def save_image_as(self, folder: str, name: str, type_name: str) -> str:
        return str(self.target)

    def confirm(self, title: str, message: str) -> bool:
        return True

    def error(self, title: str, message: str) -> None:
        print("error:", title, message, file=sys.stderr)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        os.environ["AIIC_CONFIG_DIR"] = temp
        image = photo(Path(temp) / "12mp.jpg", 4000, 3000)
        small = photo(Path(temp) / "small.jpg", 640, 480)
        runs = [launch(CHILD, str(small)) for _ in range(3)]
        four_x = launch(FOUR_X, str(image))
        if "peak" not in four_x:
            raise SystemExit("the window made no 4× result")
        four_x_peak = four_x["peak"]
        bare = statistics.median(launch(BARE)["usable"] for _ in range(3))
        usable = statistics.median(r["usable"] for r in runs)
        verdict = statistics.median(r["verdict"] for r in runs)
        start_stall = max(r["stall"] for r in runs)

        from ai_image_classifier.gui.window import App

        app = App(dialogs=Dialogs(Path(temp) / "saved.png"))
        loop_gaps(app, lambda: app.models.classifier is not None, 60)
        loop_gaps(app, lambda: False, 3)  # the upscaler and OpenCV load meanwhile
        idle = loop_gaps(app, lambda: False, 3)
        app.pictures.open(image)
        opening = loop_gaps(app, lambda: app.pictures.current is not None
                            and app.pictures.current.verdict is not None, 60)
        enhance = app.side.enhance.enhance_button.invoke
        enhance()
        busy = loop_gaps(app, lambda: app.enhancer.token is None, 300)
        app.ask_save()
        saving = loop_gaps(app, lambda: app.saver.token is None, 120)
        enhance()
        loop_gaps(app, lambda: app.side.enhance.progress.get() > 0, 60)
        app.enhancer.cancel()
        asked = time.perf_counter()
        loop_gaps(app, lambda: app.enhancer.token is None, 30)
        cancel = time.perf_counter() - asked
        enhance()  # opening another picture while a 12 MP enhancement runs
        loop_gaps(app, lambda: app.side.enhance.progress.get() > 0, 60)
        asked = time.perf_counter()
        app.pictures.open(small)
        loop_gaps(app, lambda: app.pictures.current.path == small, 60)
        shown = time.perf_counter() - asked
        loop_gaps(app, lambda: app.enhancer.token is None, 30)
        app.pictures.open(image)  # the same kind of open with nothing running, in the same run
        loop_gaps(app, lambda: app.pictures.current.path == image, 60)
        loop_gaps(app, lambda: app.pictures.current.verdict is not None, 60)
        asked = time.perf_counter()
        app.pictures.open(small)
        loop_gaps(app, lambda: app.pictures.current.path == small, 60)
        idle_open = time.perf_counter() - asked
        app.close()

    ms = 1000
    print("| measurement | ours | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    print(f"| launch → window usable | {usable:.2f} s | {bare:.2f} s bare Tk window | "
          f"{usable / bare:.1f}× | ≤ 0.5 s |")
    print(f"| launch → first verdict (640×480 JPEG) | {verdict:.2f} s | {bare:.2f} s bare Tk "
          f"window | {verdict / bare:.1f}× | ≤ 1.5 s |")
    for name, stall in (("from usable to the first verdict", start_stall),
                        ("opening and judging a 12 MP JPEG", opening),
                        ("enhancing 12 MP (default settings)", busy),
                        ("saving the 24 MP result as PNG", saving)):
        print(f"| longest event-loop stall {name} | {stall * ms:.0f} ms | {idle * ms:.0f} ms "
              f"idle | {stall / idle:.1f}× | ≤ 100 ms |")
    print(f"| Cancel → enhancement stopped (12 MP) | {cancel:.2f} s | – | – | ≤ 0.5 s |")
    print(f"| open a picture during a 12 MP enhancement → shown | {shown:.2f} s | "
          f"{idle_open:.2f} s with nothing running | {shown / idle_open:.1f}× | ≤ 0.5 s |")
    print(f"| peak memory: 12 MP photo judged and enhanced 4× | {four_x_peak:.2f} GB | – | – | "
          "≤ 1.5 GB |")


if __name__ == "__main__":
    main()
