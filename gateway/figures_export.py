"""The bureau's figures as XLSX (a sheet per section), CSV or a PNG chart per section, in Chinese."""
from __future__ import annotations

import csv
import io
import os
import tempfile

import xlsxwriter

from gateway.figures import FIGURES, Scope

SECTIONS = tuple(dict.fromkeys(figure.section for figure in FIGURES))
HEADERS = ("指标", "键", "数值", "分子", "分母", "比率", "说明")


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, exactly (integer arithmetic, never a float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def rows(figures: dict, reasons: dict) -> list[tuple[str, tuple]]:
    """(section, row) for every figure, in the summary's order; money as yuan text, rates as
    numerator, denominator and a percentage with two decimals."""
    out = []
    for figure in FIGURES:
        value = figures.get(figure.key)
        reason = reasons.get(figure.key, "")
        if value is None:
            row = (figure.title, figure.key, "", "", "", "", reason)
        elif figure.rate:
            rate = value["rate"]
            row = (figure.title, figure.key, "", value["numerator"], value["denominator"],
                   "" if rate is None else f"{rate * 100:.2f}%", reason)
        elif figure.money:
            row = (figure.title, figure.key, yuan(value), "", "", "", reason)
        else:
            row = (figure.title, figure.key, value, "", "", "", reason)
        out.append((figure.section, row))
    return out


def _scope_line(scope: Scope) -> str:
    where = scope.station or scope.township or (
        "、".join(scope.stations) if scope.stations is not None else "全区")
    return f"{scope.first.isoformat()} 至 {scope.last.isoformat()}  {where}"


def as_csv(scope: Scope, figures: dict, reasons: dict) -> bytes:
    """One table, a section column first; UTF-8 with a BOM so spreadsheet programs read Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["统计范围", _scope_line(scope)])
    writer.writerow(["栏目", *HEADERS])
    for section, row in rows(figures, reasons):
        writer.writerow([section, *row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(scope: Scope, figures: dict, reasons: dict) -> bytes:
    """A workbook with a sheet per section, written row by row (constant_memory mode)."""
    by_section: dict[str, list[tuple]] = {section: [] for section in SECTIONS}
    for section, row in rows(figures, reasons):
        by_section[section].append(row)
    # constant_memory writes each row to a temporary file as it goes and needs a real file to
    # assemble the workbook in; the result is read back for the response.
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        workbook = xlsxwriter.Workbook(target.name, {"constant_memory": True})
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for section, section_rows in by_section.items():
            sheet = workbook.add_worksheet(section)
            sheet.set_column(0, 0, 28)
            sheet.set_column(1, 1, 32)
            sheet.set_column(2, 5, 14)
            sheet.set_column(6, 6, 60)
            sheet.write_row(0, 0, ("统计范围", _scope_line(scope)), bold)
            sheet.write_row(1, 0, HEADERS, bold)
            for number, row in enumerate(section_rows, start=2):
                title, key, value, numerator, denominator, rate, reason = row
                sheet.write_string(number, 0, title)
                sheet.write_string(number, 1, key)
                figure = next(f for f in FIGURES if f.key == key)
                if figure.money and value != "":
                    # The exact fen as a number of yuan: two decimals always represent it.
                    sheet.write_number(number, 2, figures[key] / 100, money)
                elif value != "":
                    sheet.write_number(number, 2, value)
                if numerator != "":
                    sheet.write_number(number, 3, numerator)
                    sheet.write_number(number, 4, denominator)
                if rate:
                    sheet.write_string(number, 5, rate)
                if reason:
                    sheet.write_string(number, 6, reason)
        workbook.close()
        target.seek(0)
        return target.read()


# The charts' Chinese labels: the font scripts/infra.sh installs (fonts-wqy-microhei); without it
# matplotlib still draws the bars and numbers, with boxes for the characters.
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def as_png(scope: Scope, figures: dict, reasons: dict, section: str) -> bytes:
    """One section's figures as a PNG for a printed report: a bar per figure, each on its own
    axis (counts, yuan and rates are not one scale), its value written beside it; a figure that
    cannot be given shows its reason instead of a bar, never a zero."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, ticker
    from matplotlib import pyplot as plt

    family = "sans-serif"
    if os.path.exists(CJK_FONT):
        font_manager.fontManager.addfont(CJK_FONT)
        family = font_manager.FontProperties(fname=CJK_FONT).get_name()
    chosen = [f for f in FIGURES if f.section == section]
    figure, axes = plt.subplots(len(chosen), 1, figsize=(8, 0.9 * len(chosen) + 1.0),
                                squeeze=False)
    with matplotlib.rc_context({"font.family": family}):
        figure.suptitle(f"{section}  {_scope_line(scope)}", fontsize=11, family=family)
        for axis, item in zip(axes[:, 0], chosen, strict=True):
            value = figures.get(item.key)
            axis.set_yticks([0], [item.title], family=family)
            axis.spines[["top", "right"]].set_visible(False)
            if value is None:
                axis.set_xticks([])
                axis.text(0, 0, f"—  {reasons.get(item.key, '未记录')}", va="center",
                          fontsize=8, family=family)
                continue
            if item.rate:
                amount = 0.0 if value["rate"] is None else value["rate"] * 100
                label = (f"{amount:.2f}%  ({value['numerator']}/{value['denominator']})"
                         if value["rate"] is not None else f"—  (0/{value['denominator']})")
                axis.set_xlim(0, 100)
            elif item.money:
                whole, cents = yuan(value).split(".")
                amount, label = value / 100, f"¥{int(whole):,}.{cents}"
            else:
                amount, label = value, f"{value:,}"
            axis.barh([0], [amount], color="#1d70b8", height=0.6)
            if item.rate:
                axis.xaxis.set_major_formatter(ticker.PercentFormatter(100))
            else:
                axis.set_xlim(0, max(amount, 1) * 1.3)
                # People and cases come whole: no tick at 0.5 of a person.
                axis.xaxis.set_major_locator(ticker.MaxNLocator(nbins=4,
                                                                integer=not item.money))
                if item.money:
                    axis.xaxis.set_major_formatter(ticker.FuncFormatter(
                        lambda yuan_, _: f"¥{yuan_:,.0f}"))
            axis.text(amount, 0, f"  {label}", va="center", fontsize=9, family=family)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()
