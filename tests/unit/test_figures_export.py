"""The figures as XLSX and CSV: a sheet per section, Chinese headers, yuan with two decimals."""
import csv
import io
from datetime import date

import openpyxl

from gateway import figures as f
from gateway import figures_export as export

SCOPE = f.Scope(date(2020, 1, 1), date(2020, 12, 31), None, None, None)


def _figures():
    parts = {service: {"position": 1, "period": {}, "to_date": {}} for service in f.SERVICES}
    parts["benefits"]["period"] = {"visits_amount_fen": {"sum": 227_100_005, "subjects": 8572},
                                   "relief_amount_fen": {"sum": 106_600_000, "subjects": 400}}
    parts["disputes"] = {"unavailable": "timeout"}    # its figures null, with the reason
    parts["placement"]["period"] = {"placed_nco": {"sum": 20, "subjects": 20},
                                    "placed_nco_institution": {"sum": 14, "subjects": 14}}
    return f.compose(SCOPE, parts)


def test_yuan_is_exact_with_two_decimals():
    assert [export.yuan(v) for v in (0, 5, 100, 227_100_005, -30_000)] == [
        "0.00", "0.05", "1.00", "2271000.05", "-300.00"]


def test_csv_has_chinese_headers_yuan_rates_and_reasons():
    figures, reasons = _figures()
    text = export.as_csv(SCOPE, figures, reasons).decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[1] == ["栏目", "指标", "键", "数值", "分子", "分母", "比率", "说明"]
    by_key = {row[2]: row for row in table[2:]}
    assert len(by_key) == len(f.FIGURES)
    assert by_key["visits_amount_fen"][:4] == ["优抚", "慰问金额(元)", "visits_amount_fen",
                                               "2271000.05"]
    assert by_key["nco_institution_post_rate"][4:7] == ["14", "20", "70.00%"]
    assert by_key["escalations"][3] == "" and "disputes unavailable" in by_key["escalations"][7]


def test_xlsx_has_a_sheet_per_section_with_money_in_yuan():
    figures, reasons = _figures()
    workbook = openpyxl.load_workbook(io.BytesIO(export.as_xlsx(SCOPE, figures, reasons)))
    assert workbook.sheetnames == ["档案", "优抚", "权益", "安置", "就业", "服务站"]
    sheet = workbook["优抚"]
    assert [c.value for c in sheet[2]] == list(export.HEADERS)
    rows = {row[1]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["visits_amount_fen"][2] == 2271000.05
    assert sheet.cell(row=rows_index(sheet, "visits_amount_fen"), column=3).number_format == \
        "#,##0.00"
    assert rows["relief_amount_fen"][2] == 1066000.0
    reasons = {row[1]: row for row in workbook["权益"].iter_rows(min_row=3, values_only=True)}
    assert reasons["escalations"][2] is None and "unavailable" in reasons["escalations"][6]


def rows_index(sheet, key):
    for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        if row[1] == key:
            return number
    raise AssertionError(key)


def test_a_png_chart_per_section_draws_values_and_reasons_not_zeros(monkeypatch):
    import struct

    figures, reasons = _figures()
    drawn = {}
    real_text = None

    def record(self, x, y, s, *args, **kwargs):
        drawn.setdefault("texts", []).append(s)
        return real_text(self, x, y, s, *args, **kwargs)

    from matplotlib.axes import Axes
    real_text = Axes.text
    monkeypatch.setattr(Axes, "text", record)
    for section in export.SECTIONS:
        drawn.clear()
        png = export.as_png(SCOPE, figures, reasons, section)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 500 and height > 100
        texts = drawn["texts"]
        chosen = [x for x in f.FIGURES if x.section == section]
        assert len(texts) == len(chosen)   # one value or one reason per figure
        if section == "优抚":
            assert "  ¥2,271,000.05" in texts    # money in yuan, exactly
        if section == "安置":
            # 14 of 20 NCOs in institution posts: the rate with its numerator and denominator.
            assert any(t.startswith("  70.00%  (14/20)") for t in texts)
    # A figure whose service did not answer is a reason, not a bar at zero.
    drawn.clear()
    export.as_png(SCOPE, figures, reasons, next(x.section for x in f.FIGURES
                                                if x.key == "disputes_resolved"))
    assert any(t.startswith("—  ") for t in drawn["texts"])
