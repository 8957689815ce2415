"""Folder scan: a table of verdicts that fills in as the scan runs, with Cancel and export."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING, Any

import customtkinter as ctk

from ..classifier import FLAT_FIELDS, LABEL_TEXT, Classifier, Verdict, flat_record, verdict_record
from ..datasets import iter_image_files
from ..saving import atomic_write
from .tasks import BackgroundTasks, CancelToken
from .widgets import QuietProgressBar, set_enabled

if TYPE_CHECKING:
    from ..batch import BatchResult

COLUMNS = ("file", "verdict", "probability", "details")
WIDTHS = (220, 340, 90, 320)


class ScanWindow(ctk.CTkToplevel):
    def __init__(self, parent: Any, folder: Path, tasks: BackgroundTasks, dialogs: Any,
                 model_path: Path | None, enhance_choices: Any,
                 on_open: Any = None) -> None:
        """`enhance_choices` is the Enhance tab: its `settings()` and `jpeg_quality`;
        `on_open(path)` opens a double-clicked row's picture in the main window."""
        super().__init__(parent)
        self.title(f"Scan — {folder}")
        self.geometry("980x560")
        self.on_open = on_open
        self.total = 0
        self.sorted_by: tuple[str, bool] | None = None
        self.folder, self.tasks, self.dialogs = folder, tasks, dialogs
        self.enhance_choices = enhance_choices
        self.rows: list[dict[str, Any]] = []
        self.token = CancelToken()
        self.finished = False
        self.batch_token: CancelToken | None = None
        self.batch_results: list[BatchResult] = []

        frame = ctk.CTkFrame(self, fg_color="transparent")
        frame.pack(fill="both", expand=True, padx=10, pady=(10, 4))
        frame.grid_columnconfigure(0, weight=1)
        frame.grid_rowconfigure(0, weight=1)
        self.table = ttk.Treeview(frame, columns=COLUMNS, show="headings",
                                  style="Scan.Treeview")
        for column, width in zip(COLUMNS, WIDTHS, strict=True):
            self.table.heading(column, text=column.capitalize(),
                               command=lambda c=column: self.sort_by(c))
            self.table.column(column, width=width, minwidth=60, anchor="w",
                              stretch=column == "details")
        down = ttk.Scrollbar(frame, orient="vertical", command=self.table.yview)
        across = ttk.Scrollbar(frame, orient="horizontal", command=self.table.xview)
        self.table.configure(yscrollcommand=down.set, xscrollcommand=across.set)
        self.table.grid(row=0, column=0, sticky="nsew")
        down.grid(row=0, column=1, sticky="ns")
        across.grid(row=1, column=0, sticky="ew")
        self.table.bind("<Double-1>", self._open_row)
        self.theme_table()
        self.progress = QuietProgressBar(self)
        self.progress.pack(fill="x", padx=10, pady=4)
        bar = ctk.CTkFrame(self, fg_color="transparent")
        bar.pack(fill="x", padx=10, pady=(0, 10))
        self.status = ctk.CTkLabel(bar, text="Finding images…")
        self.status.pack(side="left")
        self.cancel_button = ctk.CTkButton(bar, text="Cancel", width=90, command=self.cancel)
        self.cancel_button.pack(side="right", padx=4)
        self.json_button = ctk.CTkButton(bar, text="Export JSON…", width=110, state="disabled",
                                         command=lambda: self.ask_export("json"))
        self.json_button.pack(side="right", padx=4)
        self.csv_button = ctk.CTkButton(bar, text="Export CSV…", width=110, state="disabled",
                                        command=lambda: self.ask_export("csv"))
        self.csv_button.pack(side="right", padx=4)
        self.enhance_all_button = ctk.CTkButton(bar, text="Enhance all…", width=110,
                                                state="disabled", command=self.ask_enhance_all)
        self.enhance_all_button.pack(side="right", padx=4)
        for button in (self.json_button, self.csv_button, self.enhance_all_button):
            set_enabled(button, False)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.after(50, self.lift)
        self._start(model_path)

    def _start(self, model_path: Path | None) -> None:
        token = self.token

        def work() -> int:
            classifier = Classifier.load(model_path)  # its own interpreter: no shared state
            paths = list(iter_image_files([self.folder]))
            self.tasks.call_soon(self._found, len(paths))
            batch: list[dict[str, Any]] = []
            for index, (path, result) in enumerate(classifier.classify_files(paths), 1):
                if token.cancelled:
                    break
                batch.append(self._row(path, result))
                if len(batch) == 16 or index == len(paths):
                    self.tasks.call_soon(self._add_rows, token, batch, index / len(paths))
                    batch = []
            return len(paths)

        self.tasks.submit("scan", work, self._done, self._failed)

    def _row(self, path: Path, result: Verdict | Exception) -> dict[str, Any]:
        return verdict_record(str(path.relative_to(self.folder)), result)

    def _found(self, count: int) -> None:
        self.total = count
        if self.winfo_exists():
            self.status.configure(text=f"0 of {count} scanned" if count else "No images found")

    def theme_table(self) -> None:
        """ttk is not themed by CustomTkinter: colours follow the light or dark theme, and
        rows grow with the display's scaling."""
        dark = ctk.get_appearance_mode() == "Dark"
        scaling = ctk.ScalingTracker.get_widget_scaling(self)
        style = ttk.Style(self)
        background, foreground = ("#2b2b2b", "#dce4ee") if dark else ("#ffffff", "#1a1a1a")
        style.configure("Scan.Treeview", background=background, fieldbackground=background,
                        foreground=foreground, rowheight=round(22 * scaling))
        style.configure("Scan.Treeview.Heading", background="#3a3a3a" if dark else "#e6e6e6",
                        foreground=foreground)
        style.map("Scan.Treeview", background=[("selected", "#1f6aa5")],
                  foreground=[("selected", "#ffffff")])

    @staticmethod
    def _cells(row: dict[str, Any]) -> tuple[str, str, str, str]:
        """A row as shown: the main window's wording; the details hold the evidence beyond
        the score, or the whole error."""
        if "error" in row:
            return row["path"], "UNREADABLE", "", row["error"]
        details = "; ".join(e for e in row["evidence"] if not e.startswith("the model sees"))
        return (row["path"], LABEL_TEXT[row["label"]], f"{row['model']['probability']:.3f}",
                details or row["model"]["region"])

    def sort_by(self, column: str) -> None:
        """Sort by a column; a second click on it reverses the order."""
        descending = self.sorted_by == (column, False)
        index = COLUMNS.index(column)

        def key(row: dict[str, Any]) -> Any:
            value = self._cells(row)[index]
            return float(value) if column == "probability" else value

        filled = [row for row in self.rows if self._cells(row)[index]]
        empty = [row for row in self.rows if not self._cells(row)[index]]  # always last
        self.rows[:] = sorted(filled, key=key, reverse=descending) + empty
        self.sorted_by = (column, descending)
        self.table.delete(*self.table.get_children())
        for row in self.rows:
            self.table.insert("", "end", values=self._cells(row))

    def _open_row(self, _event: Any = None) -> None:
        selected = self.table.focus()
        if selected and self.on_open is not None:
            self.on_open(self.folder / self.table.item(selected, "values")[0])

    def _add_rows(self, token: CancelToken, rows: list[dict[str, Any]], fraction: float) -> None:
        if token is not self.token or not self.winfo_exists():
            return
        for row in rows:
            self.rows.append(row)
            self.table.insert("", "end", values=self._cells(row))
        self.progress.set(fraction)
        self.status.configure(text=f"{len(self.rows)} of {self.total} scanned")

    def _done(self, total: int) -> None:
        self.finished = True
        if not self.winfo_exists():
            return
        count = Counter(row.get("label", "error") for row in self.rows)
        state = "Cancelled" if self.token.cancelled else "Done"
        self.status.configure(text=f"{state}: {len(self.rows)} of {total}, {count['fake']} "
                                   f"flagged, {count['uncertain']} uncertain, "
                                   f"{count['error']} unreadable")
        set_enabled(self.cancel_button, False)
        for button in (self.csv_button, self.json_button, self.enhance_all_button):
            set_enabled(button, bool(self.rows))

    def _failed(self, error: BaseException) -> None:
        self.finished = True
        if self.winfo_exists():
            self.status.configure(text=f"Scan failed: {error}")
            set_enabled(self.cancel_button, False)

    def cancel(self) -> None:
        self.token.cancel()
        if self.batch_token is not None:
            self.batch_token.cancel()

    # ---------- enhance every scanned image ----------
    def ask_enhance_all(self) -> None:
        chosen = self.dialogs.open_folder(str(self.folder))
        if chosen:
            self.enhance_all(Path(chosen))

    def enhance_all(self, out_dir: Path) -> None:
        """Enhance every readable scanned image into `out_dir`, keeping sub-folders; outputs
        that exist are skipped, never replaced."""
        from ..batch import enhance_batch, plan_folder  # OpenCV: only once it is needed

        settings = self.enhance_choices.settings()
        quality = self.enhance_choices.jpeg_quality
        sources = [self.folder / row["path"] for row in self.rows if "error" not in row]
        items = plan_folder(self.folder, out_dir, sources=sources)
        if not items:
            self.status.configure(text="Nothing to enhance: the output folder holds them all.")
            return
        token = self.batch_token = CancelToken()
        self.batch_results = []
        set_enabled(self.enhance_all_button, False)
        set_enabled(self.cancel_button, True)
        self.progress.set(0)
        self.status.configure(text=f"Enhancing 0 of {len(items)}…")

        def each(result: BatchResult) -> None:
            self.tasks.call_soon(self._enhanced_one, token, result, len(items))

        def work() -> list[BatchResult]:
            return enhance_batch(items, settings, quality=quality,
                                 should_stop=lambda: token.cancelled, on_each=each)

        self.tasks.submit("batch", work, lambda _: self._batch_done(token, out_dir, len(items)),
                          lambda error: self._batch_done(token, out_dir, len(items), error))

    def _enhanced_one(self, token: CancelToken, result: BatchResult, total: int) -> None:
        if token is not self.batch_token or not self.winfo_exists():
            return
        self.batch_results.append(result)
        self.progress.set(len(self.batch_results) / total)
        self.status.configure(text=f"Enhancing {len(self.batch_results)} of {total}…")

    def _batch_done(self, token: CancelToken, out_dir: Path, total: int,
                    error: BaseException | None = None) -> None:
        if token is not self.batch_token or not self.winfo_exists():
            return
        self.batch_token = None
        set_enabled(self.enhance_all_button, True)
        set_enabled(self.cancel_button, False)
        from ..enhance import Cancelled

        count = Counter(result.status for result in self.batch_results)
        if error is not None and not isinstance(error, Cancelled):
            self.status.configure(text=f"Enhancing stopped: {error}")
            return
        state = "Cancelled" if token.cancelled else "Enhanced"
        self.status.configure(text=f"{state}: {count['done']} of {total} written to "
                                   f"{out_dir.name}, {count['skipped']} skipped (already "
                                   f"there), {count['error']} failed")

    def ask_export(self, kind: str) -> None:
        types = [("CSV", "*.csv")] if kind == "csv" else [("JSON", "*.json")]
        chosen = self.dialogs.save_as(str(self.folder), f"scan.{kind}", types)
        if not chosen:
            return
        target = Path(chosen)
        if target.exists() and not self.dialogs.confirm("Replace file?",
                                                        f"{target.name} exists. Replace it?"):
            return
        try:
            self.export(target, kind)
        except OSError as error:
            self.dialogs.error("Cannot export", str(error))
        else:
            self.status.configure(text=f"Exported {target.name}")

    def export(self, target: Path, kind: str) -> None:
        with atomic_write(target, "w", newline="", encoding="utf-8") as handle:
            if kind == "json":
                json.dump({"folder": str(self.folder), "results": self.rows}, handle, indent=1,
                          ensure_ascii=False)
            else:
                writer = csv.DictWriter(handle, FLAT_FIELDS)
                writer.writeheader()
                writer.writerows(flat_record(row) for row in self.rows)

    def close(self) -> None:
        self.cancel()
        self.destroy()
