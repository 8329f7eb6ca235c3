"""Spreadsheets in and out: veteran rows read from CSV or XLSX as a stream, error files written the same way.

Rows are read one at a time (openpyxl's read-only mode for XLSX, the csv module for CSV), so a
file of a million rows never sits in memory whole. CSV from Excel in China is often GB18030, so
a CSV that is not UTF-8 is read as GB18030.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from services.registry.import_rows import ADDED_COLUMNS, REASON, ROW_NUMBER, field_of

FORMATS = ("csv", "xlsx")
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file is not a spreadsheet the import reads (reason in Chinese, no content)."""


@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it (the header is row 1), its cells as
    read (every column, for the error file), and the cells of the columns the import knows."""

    number: int
    original: tuple
    cells: dict[str, object]


def format_of(name: str, head: bytes = b"") -> str:
    """csv or xlsx, from the file name, else from the first bytes (an XLSX is a zip)."""
    suffix = Path(name or "").suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if suffix in ("", "txt"):
        return "csv"
    raise UnreadableFile(f"不支持的文件类型 .{suffix}：请上传 CSV 或 XLSX")


class Sheet:
    """A veteran spreadsheet opened for reading: its header and its rows, streamed."""

    def __init__(self, source: str | Path | bytes, file_format: str):
        self.source = source
        self.format = file_format
        self._workbook = None
        self._text: IO[str] | None = None

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._text is not None:
            self._text.close()
            self._text = None

    def _binary(self) -> IO[bytes]:
        if isinstance(self.source, bytes | bytearray):
            return io.BytesIO(self.source)
        return open(self.source, "rb")  # noqa: SIM115 - closed with the sheet

    def _raw_rows(self) -> Iterator[tuple]:
        self.close()
        if self.format == "xlsx":
            from openpyxl import load_workbook

            try:
                self._workbook = load_workbook(self._binary(), read_only=True, data_only=True)
            except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad zip
                raise UnreadableFile("无法读取该 XLSX 文件：文件已损坏或不是 Excel 工作簿") from None
            try:
                yield from self._workbook.worksheets[0].iter_rows(values_only=True)
            except Exception:  # noqa: BLE001 - a broken sheet inside a sound zip
                raise UnreadableFile("无法读取该 XLSX 文件的工作表：文件已损坏") from None
            return
        binary = self._binary()
        head = binary.read(65536)
        binary.seek(0)
        encoding = "utf-8-sig"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as bad:
            # A multi-byte character cut at the end of the sample is still UTF-8.
            if bad.start < len(head) - 3:
                encoding = "gb18030"
        self._text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            yield from (tuple(r) for r in csv.reader(self._text))
        except UnicodeDecodeError:
            raise UnreadableFile("无法识别 CSV 文件的字符编码：请存为 UTF-8 或 GB18030") from None
        except csv.Error:  # a NUL byte, a field past the csv module's limit: not a spreadsheet
            raise UnreadableFile("无法读取该 CSV 文件：含有表格中不会出现的内容") from None

    def header(self) -> list[str]:
        for raw in self._raw_rows():
            return [("" if c is None else str(c)).strip() for c in raw]
        return []

    def rows(self) -> Iterator[Row]:
        """Every non-empty data row, in order; the header's columns decide what each cell is."""
        raw_rows = self._raw_rows()
        header = next(raw_rows, None)
        if header is None:
            return
        header = [("" if c is None else str(c)).strip() for c in header]
        known = [(n, field_of(h)) for n, h in enumerate(header)]
        known = [(n, f) for n, f in known if f is not None]
        # Columns an earlier error file added: dropped, so they never come back doubled.
        keep = [n for n, h in enumerate(header) if h not in ADDED_COLUMNS]
        width = len(header)
        for number, raw in enumerate(raw_rows, start=2):
            if not any(c not in (None, "") and not (isinstance(c, str) and not c.strip())
                       for c in raw):
                continue
            raw = tuple(raw) + (None,) * (width - len(raw))
            yield Row(number, tuple(raw[n] for n in keep),
                      {f: raw[n] for n, f in known})

    def original_header(self) -> list[str]:
        return [h for h in self.header() if h not in ADDED_COLUMNS]

    def count_rows(self) -> int | None:
        """Data rows, for a progress bar before the first pass (None: not known before reading
        it all, an XLSX whose writer left out its dimension). Blank rows are counted too."""
        if self.format == "xlsx":
            rows = self._raw_rows()
            next(rows, None)
            sheet = self._workbook.worksheets[0] if self._workbook else None
            last = sheet.max_row if sheet is not None else None
            self.close()
            return max(last - 1, 0) if last else None
        with self._binary() as binary:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: binary.read(1 << 20), b""))
        return max(lines - 1, 0)


class ErrorFile:
    """The rows that wait: the original columns, then 行号 and 错误原因; CSV or XLSX as the
    input was. Written as rows come (openpyxl's write-only mode), to a temporary file."""

    def __init__(self, header: list[str], file_format: str, directory: str | None = None):
        self.format = file_format
        self.count = 0
        self._finished = False
        handle, self.path = tempfile.mkstemp(suffix=f".{file_format}", prefix="vetlife-errors-",
                                             dir=directory)
        os.close(handle)
        columns = [*header, ROW_NUMBER, REASON]
        if file_format == "xlsx":
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("待更正")
            self._sheet.append(columns)
        else:
            # UTF-8 with a BOM: Excel in China opens it as UTF-8 only then.
            self._text = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._csv = csv.writer(self._text)
            self._csv.writerow(columns)

    def add(self, row: Row, reason: str) -> None:
        self.count += 1
        values = [*row.original, row.number, reason]
        if self.format == "xlsx":
            self._sheet.append(values)
        else:
            self._csv.writerow(["" if v is None else v for v in values])

    def finish(self) -> str:
        """Close the file; its path."""
        if not self._finished:
            self._finished = True
            if self.format == "xlsx":
                self._workbook.save(self.path)
            else:
                self._text.close()
        return self.path

    def discard(self) -> None:
        """Close and delete it: it holds personal data, so nothing is left behind."""
        try:
            self.finish()
        finally:
            self._unlink()

    def _unlink(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

