"""Checking spreadsheet rows of veteran files: every kind of bad row explained in Chinese, per column."""
import csv
import re
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from contracts import instance
from contracts import registry as contract
from services.registry.domain import model
from services.registry.import_files import ErrorFile, Sheet, format_of
from services.registry.import_rows import (
    COLUMNS,
    ID_NUMBER_AS_NUMBER,
    OUTSIDE_REACH,
    RowProblems,
    check_row,
    missing_columns,
)
from services.registry.imports import import_rows
from services.registry.sample import BAD_KINDS, Sampler, write

TODAY = date(2026, 11, 27)
HEADERS = [chinese for _, chinese in COLUMNS]
# What each deliberate defect of vetlife-sample must be told as: the column, then the reason.
EXPECTED = {
    "bad_check_digit": r"身份证号：校验码不正确",
    "future_date": r"(入伍时间|退役时间)：不能是将来的日期",
    "unknown_category": r"退役类别：须为退役士兵、转业干部、转业士官、退休干部、复员干部之一",
    "missing_name": r"姓名：必填，不能为空",
    "duplicate_id_number": r"身份证号：与第\d+行的身份证号重复",
    "bad_phone": r"联系电话：须为11位手机号",
    "discharged_before_enlisted": r"退役时间：不能早于入伍时间",
    "enlisted_too_young": r"入伍时间：不能早于16周岁生日",
    "sex_mismatch": r"性别：与身份证号所含性别不符",
    "not_a_date": r"入伍时间：不是有效日期",
    "short_id_number": r"身份证号：须为17位数字加1位校验码",
    "missing_station": r"服务站：必填",
}


def good_row(**changes) -> dict:
    row = {"name": "陈志强", "id_number": "330703196805170017", "sex": "男",
           "birth_date": "1968-05-17", "phone": "13857912345", "address": "金东区多湖街道光南路1号",
           "township": "多湖街道", "service_station": "多湖街道退役军人服务站",
           "enlisted_on": "1986-12-01", "discharged_on": "1990-12-01", "branch": "陆军",
           "rank": "上士", "discharge_category": "退役士兵"}
    return {**row, **changes}


class NoClaims:
    """A store where no ID number is on file yet: the dry run asks it, and nothing else."""

    def claimed(self, kind, values):
        return {}


def reasons_for(rows: list[dict]) -> dict[int, str]:
    from services.registry.import_files import Row

    refused = {}
    outcome = import_rows(NoClaims(), iter(Row(n, (), r) for n, r in enumerate(rows, start=2)),
                          None, dry_run=True, today=TODAY)
    for problem in outcome.problems:
        refused[problem[0]] = problem[1]
    assert outcome.total == len(rows)
    return refused


def test_the_day_a_paper_file_was_first_registered_is_the_registrations_effective_day():
    checked = check_row({**good_row(), "effective_on": "2020年4月9日"}, "v-1", TODAY)
    assert checked.event.effective_on == date(2020, 4, 9)
    stored = contract.to_new_event(checked.event).data
    assert stored["effective_on"] == "2020-04-09"
    assert "effective_on" not in contract.public_form(_recorded(stored))   # not published
    assert check_row(good_row(), "v-2", TODAY).event.effective_on is None  # absent: today
    assert "effective_on" not in contract.to_new_event(check_row(good_row(), "v-2", TODAY)
                                                       .event).data


@pytest.mark.parametrize(("value", "reason"), [
    ("2026-11-28", "建档日期：不能是将来的日期"),
    ("1968-05-16", "建档日期：不能早于出生日期"),
    ("2020-02-30", "建档日期：不是有效日期，应写作 1990-12-01"),
])
def test_a_registration_day_in_the_future_before_birth_or_not_a_day_is_refused(value, reason):
    with pytest.raises(RowProblems) as refused:
        check_row({**good_row(), "effective_on": value}, "v-1", TODAY)
    assert refused.value.reason == reason


def test_the_sample_writes_plausible_registration_days():
    rows = list(Sampler(7, TODAY).rows(300, 0))
    for row in rows:
        assert row["discharged_on"] < row["effective_on"] <= TODAY
        check_row(row, "v", TODAY)   # and every one is accepted
    assert len({row["effective_on"].year for row in rows}) >= 5


def _recorded(data: dict):
    from chassis.envelope import RecordedEvent
    at = datetime(2026, 11, 27, 2)
    return RecordedEvent("e", "VeteranRegistered", 1, "s", 1, 1, at, at, "c", None, "a", data)


def test_a_good_row_is_the_registration_the_api_would_decide():
    checked = check_row(good_row(), "v-1", TODAY)
    request = instance(contract.RegisterVeteranRequest).load({
        **good_row(), "sex": "male", "discharge_category": "discharged_soldier"})
    cmd = model.RegisterVeteran(declared_sex=request.pop("sex"),
                                declared_birth_date=request.pop("birth_date"), **request)
    assert checked.command == cmd
    assert checked.event == model.register(cmd, "v-1", TODAY)[0]
    assert checked.event.discharge_category == "discharged_soldier"


@pytest.mark.parametrize("typed", ["1986/12/1", "1986.12.01", "1986年12月1日",
                                   datetime(1986, 12, 1), date(1986, 12, 1)])
def test_dates_as_clerks_type_them_and_as_xlsx_cells_hold_them(typed):
    assert check_row(good_row(enlisted_on=typed), "v", TODAY).event.enlisted_on == date(1986, 12, 1)


def test_every_kind_of_bad_row_is_refused_with_its_reason_in_chinese():
    sampler = Sampler(seed=5, today=TODAY)
    rows = [sampler.good() for _ in range(30)]
    sampler.recent = list(rows)
    bad_at = {}
    for kind in BAD_KINDS:
        bad_at[len(rows) + 2] = kind
        rows.append(sampler.bad(kind))
    refused = reasons_for(rows)
    assert set(refused) == set(bad_at), "exactly the bad rows are refused"
    for row_number, kind in bad_at.items():
        assert re.search(EXPECTED[kind], refused[row_number]), (kind, refused[row_number])
        # Chinese through and through: no English message leaks into 错误原因.
        assert not re.search(r"[A-Za-z]{2,}", refused[row_number]), refused[row_number]


def test_a_row_with_several_problems_names_each_column_in_column_order():
    with pytest.raises(RowProblems) as refused:
        check_row(good_row(name="", phone="123", discharge_category="志愿兵"), "v", TODAY)
    assert refused.value.reason == ("姓名：必填，不能为空；联系电话：须为11位手机号（13-19开头）或带区号的"
                                    "固定电话，如 0579-82345678；退役类别：须为退役士兵、转业干部、转业士官、"
                                    "退休干部、复员干部之一")


def test_an_id_number_saved_as_a_number_is_refused_not_guessed():
    with pytest.raises(RowProblems) as refused:
        check_row(good_row(id_number=3.30703196805170e17), "v", TODAY)
    assert refused.value.fields == {"id_number": [ID_NUMBER_AS_NUMBER]}


def test_a_station_worker_imports_rows_of_their_own_stations_only():
    with pytest.raises(RowProblems) as refused:
        check_row(good_row(), "v", TODAY, within_stations=frozenset({"孝顺镇退役军人服务站"}))
    assert refused.value.fields == {"service_station": [OUTSIDE_REACH]}
    assert check_row(good_row(), "v", TODAY, within_stations=frozenset({"多湖街道退役军人服务站"}))


def test_missing_required_columns_are_named():
    assert missing_columns(["姓名", "身份证号", "name"]) == ["镇街", "服务站", "入伍时间", "军种",
                                                             "军衔", "退役类别"]
    assert missing_columns(HEADERS) == []


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_error_file_keeps_the_columns_adds_row_and_reason_and_reads_back_without_them(tmp_path,
                                                                                     suffix):
    source = tmp_path / f"in.{suffix}"
    rows = [good_row(), good_row(name=""), good_row(id_number="330703196805170018")]
    write(source, rows)
    with Sheet(source, format_of(source.name)) as sheet:
        read = list(sheet.rows())
        errors = ErrorFile(sheet.original_header(), suffix, str(tmp_path))
    assert [r.number for r in read] == [2, 3, 4]
    for row in read[1:]:
        errors.add(row, "姓名：必填，不能为空")
    path = errors.finish()
    if suffix == "csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f))
    else:
        table = [list(r) for r in load_workbook(path, read_only=True).active.iter_rows(
            values_only=True)]
    assert table[0] == [*HEADERS, "行号", "错误原因"]
    assert [r[-2] for r in table[1:]] in ([3, 4], ["3", "4"])
    assert table[2][1] == "330703196805170018"
    with Sheet(path, suffix) as again:  # a corrected error file: the added columns are dropped
        assert again.original_header() == HEADERS
        assert list(again.rows())[0].cells["id_number"] == "330703196805170017"


def test_a_gb18030_csv_from_excel_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([HEADERS, list(good_row().values())])
    with Sheet(path, "csv") as sheet:
        assert next(sheet.rows()).cells["name"] == "陈志强"


def test_blank_rows_are_skipped_and_row_numbers_are_the_sheets(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append([None] * len(HEADERS))
    sheet.append(list(good_row().values()))
    book.save(tmp_path / "b.xlsx")
    with Sheet(tmp_path / "b.xlsx", "xlsx") as read:
        assert [r.number for r in read.rows()] == [3]
