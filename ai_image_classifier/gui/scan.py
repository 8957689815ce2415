"""The folder-scan window: a table of verdicts that fills in picture by picture, sortable
(the sorted column shows its arrow), with the whole text of a cut-off cell on hover, Cancel,
Enhance all and export. `ScanFlow` holds the scan and its rules."""

from __future__ import annotations

from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

import customtkinter as ctk

from .keys import reach_by_keyboard
from .scan_flow import COLUMNS, TITLES, ScanFlow, cells
from .theme import style_tk
from .widgets import QuietProgressBar, Tooltip, place_over, set_enabled

WIDTHS = (200, 340, 100, 100, 300)
CELL_PADDING = 12  # pixels a ttk cell keeps around its text


class ScanWindow(ctk.CTkToplevel):
    def __init__(self, parent: Any, folder: Path, make_flow: Any,
                 on_open: Any = None) -> None:
        """`make_flow(ui)` makes this scan's `ScanFlow`; `on_open(path)` opens a
        double-clicked row's picture in the main window."""
        super().__init__(parent)
        self.title(f"Scan — {folder}")
        place_over(self, parent, 980, 560)
        self.on_open = on_open
        frame = ctk.CTkFrame(self, fg_color="transparent")
        frame.pack(fill="both", expand=True, padx=10, pady=(10, 4))
        frame.grid_columnconfigure(0, weight=1)
        frame.grid_rowconfigure(0, weight=1)
        self.table = ttk.Treeview(frame, columns=COLUMNS, show="headings")
        for column, width in zip(COLUMNS, WIDTHS, strict=True):
            self.table.heading(column, text=TITLES[column],
                               command=lambda c=column: self.flow.sort_by(c))
            self.table.column(column, width=width, minwidth=60, anchor="w",
                              stretch=column == "details")
        down = ttk.Scrollbar(frame, orient="vertical", command=self.table.yview)
        across = ttk.Scrollbar(frame, orient="horizontal", command=self.table.xview)
        self.table.configure(yscrollcommand=down.set, xscrollcommand=across.set)
        self.table.grid(row=0, column=0, sticky="nsew")
        down.grid(row=0, column=1, sticky="ns")
        across.grid(row=1, column=0, sticky="ew")
        self.table.bind("<Double-1>", self.open_row)
        self.table.bind("<Return>", self.open_row)
        self.table.bind("<KP_Enter>", self.open_row)
        self.tooltip = Tooltip(self.table)
        self.table.bind("<Motion>", self._hover)
        self.table.bind("<Leave>", lambda _: self.tooltip.hide())
        style_tk(self)  # ttk follows the light or dark theme too
        self.progress = QuietProgressBar(self)
        self.progress.pack(fill="x", padx=10, pady=4)
        bar = ctk.CTkFrame(self, fg_color="transparent")
        bar.pack(fill="x", padx=10, pady=(0, 10))
        self.status = ctk.CTkLabel(bar, text="Finding images…")
        self.status.pack(side="left")
        # Made left to right (the Tab order), packed from the right edge inwards.
        self.enhance_all_button = ctk.CTkButton(bar, text="Enhance all…", width=110,
                                                command=lambda: self.flow.ask_enhance_all())
        self.csv_button = ctk.CTkButton(bar, text="Export CSV…", width=110,
                                        command=lambda: self.flow.ask_export("csv"))
        self.json_button = ctk.CTkButton(bar, text="Export JSON…", width=110,
                                         command=lambda: self.flow.ask_export("json"))
        self.cancel_button = ctk.CTkButton(bar, text="Cancel", width=90,
                                           command=lambda: self.flow.cancel())
        for button in (self.cancel_button, self.json_button, self.csv_button,
                       self.enhance_all_button):
            button.pack(side="right", padx=4)
        self.protocol("WM_DELETE_WINDOW", self.close)
        reach_by_keyboard(self)
        self.after(50, self.lift)
        self.after(60, self.table.focus_set)
        self.flow: ScanFlow = make_flow(self)
        self.flow.start()

    # ---------- ScanUI ----------
    def rows_added(self, rows: list[dict[str, Any]]) -> None:
        if self.winfo_exists():
            for row in rows:
                self.table.insert("", "end", values=cells(row))
            if rows and not self.table.focus():  # Up, Down and Return work at once
                first = self.table.get_children()[0]
                self.table.focus(first)
                self.table.selection_set(first)

    def rows_shown(self, rows: list[dict[str, Any]]) -> None:
        self.table.delete(*self.table.get_children())
        self.rows_added(rows)
        for column in COLUMNS:
            self.table.heading(column, text=self.flow.heading(column))

    def scan_state(self, fraction: float, text: str, *, busy: bool, can_export: bool) -> None:
        if not self.winfo_exists():
            return
        self.progress.set(fraction)
        self.status.configure(text=text)
        set_enabled(self.cancel_button, busy)
        for button in (self.csv_button, self.json_button, self.enhance_all_button):
            set_enabled(button, can_export)

    # ---------- events ----------
    def cell_text(self, x: int, y: int) -> str:
        """The text of the cell under (x, y) when it is cut off ("" when it fits)."""
        row, column = self.table.identify_row(y), self.table.identify_column(x)
        if not row or not column:
            return ""
        index = int(column.lstrip("#")) - 1
        text = str(self.table.item(row, "values")[index])
        width = self.table.column(COLUMNS[index], "width")
        fits = tkfont.nametofont("TkDefaultFont").measure(text) + CELL_PADDING <= width
        return "" if fits else text

    def _hover(self, event: Any) -> None:
        text = self.cell_text(event.x, event.y)
        if text:
            self.tooltip.show(text, event.x_root, event.y_root)
        else:
            self.tooltip.hide()

    def open_row(self, _event: Any = None) -> None:
        selected = self.table.focus()
        if selected and self.on_open is not None:
            self.on_open(self.flow.folder / self.table.item(selected, "values")[0])

    def close(self) -> None:
        self.flow.cancel()
        self.tooltip.hide()
        self.destroy()
