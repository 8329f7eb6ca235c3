"""vetlife-sample: a plausible spreadsheet of Jindong veterans, with a chosen share of bad rows.

    vetlife-sample veterans 1000 --bad-share 0.05 --out veterans.xlsx   (or .csv)

Good rows are people who could be on the bureau's books: resident ID numbers of Jindong (330703),
of the old Jinhua county it was carved from (330721, for those born before 2000), and of the
neighbouring counties and cities, built from python-stdnum's parts with the right check
character; enlistment at 17 to 22, discharge 2 to 16 years later and never in the future; the
district's townships and their service stations; names from Faker's zh_CN; the day each file
was first registered (建档日期) after the discharge or in the 2019 filing drive. Bad rows carry
exactly one defect each, of every kind the import must explain, in turn (BAD_KINDS).
Seeded (--seed), so the same command writes the same file.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

from faker import Faker
from stdnum.cn import ric

from services.employment.domain.townships import TOWNSHIPS
from services.registry.handlers import shanghai_today
from services.registry.import_rows import CATEGORY_NAMES, COLUMNS

# Where the district's veterans were born, weighted: mostly Jindong itself.
AREAS = (("330703", 60), ("330721", 12), ("330702", 8), ("330782", 4), ("330783", 4),
         ("330781", 3), ("330784", 3), ("330723", 2), ("330726", 2), ("330727", 2))
CATEGORIES = (("discharged_soldier", 70), ("transferred_nco", 10), ("transferred_officer", 8),
              ("demobilised", 7), ("retired_officer", 5))
RANKS = {"discharged_soldier": ("列兵", "上等兵", "下士", "中士"),
         "transferred_nco": ("上士", "四级军士长", "三级军士长", "二级军士长"),
         "transferred_officer": ("少尉", "中尉", "上尉", "少校", "中校"),
         "demobilised": ("中尉", "上尉", "少校"),
         "retired_officer": ("中校", "上校", "大校")}
SERVICE_YEARS = {"discharged_soldier": (2, 5), "transferred_nco": (8, 16),
                 "transferred_officer": (10, 20), "demobilised": (8, 16),
                 "retired_officer": (20, 30)}
BRANCHES = (("陆军", 60), ("海军", 10), ("空军", 10), ("火箭军", 6), ("武警部队", 10),
            ("战略支援部队", 4))
ROADS = ("光南路", "金港大道", "东湄路", "双溪东路", "宗泽北路", "多湖中路", "孝顺大街", "傅村街",
         "曹宅大街", "澧浦路", "岭下大道", "江东路", "塘雅路", "赤松路", "源东路", "环城北路")
# The bureaus were set up in 2018 and filed every veteran (一人一档) from the next year: a file
# of someone who came home before then was opened during that drive.
FILING_DRIVE = date(2019, 1, 1)
BAD_KINDS = ("bad_check_digit", "future_date", "unknown_category", "missing_name",
             "duplicate_id_number", "bad_phone", "discharged_before_enlisted",
             "enlisted_too_young", "sex_mismatch", "not_a_date", "short_id_number",
             "missing_station")


def _weighted(rng: random.Random, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


class Sampler:
    """Veteran rows, good or bad, from one seed."""

    def __init__(self, seed: int, today: date):
        self.rng = random.Random(seed)
        # The registration days are drawn apart, so a seed's other columns stay what they were.
        self.filing_rng = random.Random(f"{seed}:建档日期")
        Faker.seed(seed)
        fake = Faker("zh_CN")
        self.male_names = [fake.name_male() for _ in range(3000)]
        self.female_names = [fake.name_female() for _ in range(600)]
        self.today = today
        self.issued: dict[tuple[str, date], int] = {}
        # Recent good rows, for a duplicate: the same person typed in twice.
        self.recent: list[dict] = []

    def id_number(self, born: date, male: bool) -> str:
        area = _weighted(self.rng, AREAS)
        if area == "330721" and born.year >= 2000:
            area = "330703"  # Jinhua county had become Jindong district by then
        n = self.issued.get((area, born), self.rng.randrange(0, 400))
        self.issued[(area, born)] = n + 1
        # The last of the three sequence digits is odd for men, even for women.
        sequence = f"{(n // 5) % 100:02d}{(n % 5) * 2 + (1 if male else 0)}"
        body = f"{area}{born:%Y%m%d}{sequence}"
        return body + ric.calc_check_digit(body + "?")

    def good(self) -> dict:
        rng = self.rng
        category = _weighted(rng, CATEGORIES)
        low, high = SERVICE_YEARS[category]
        years = rng.randint(low, high)
        age_in = rng.randint(17, 22)
        # Born early enough to have enlisted and come home by today.
        latest_birth = self.today.year - age_in - years - 1
        born = date(rng.randint(max(1940, latest_birth - 50), latest_birth), 1, 1) \
            + timedelta(days=rng.randrange(365))
        enlisted = date(born.year + age_in, rng.choice((3, 9, 12)), 1)
        discharged = date(enlisted.year + years, rng.choice((3, 9, 12)), 1)
        if discharged > self.today:
            discharged = self.today - timedelta(days=rng.randrange(30, 300))
        male = rng.random() < 0.95
        township = rng.choice(TOWNSHIPS)
        number = self.id_number(born, male)
        return {
            "name": rng.choice(self.male_names if male else self.female_names),
            "id_number": number, "sex": "男" if male else "女", "birth_date": born,
            "phone": f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
            "address": f"浙江省金华市金东区{township}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
            "township": township, "service_station": f"{township}退役军人服务站",
            "enlisted_on": enlisted, "discharged_on": discharged,
            "branch": _weighted(rng, BRANCHES), "rank": rng.choice(RANKS[category]),
            "discharge_category": CATEGORY_NAMES[category],
            "effective_on": self.filed_on(discharged),
        }

    def filed_on(self, discharged: date) -> date:
        """建档日期: a paper file opened some months after the veteran came home, most of them in
        the bureau's filing drive (一人一档, from 2019) for those home before it; never after today."""
        rng = self.filing_rng
        filed = discharged + timedelta(days=rng.randint(20, 400))
        if filed < FILING_DRIVE:
            filed = FILING_DRIVE + timedelta(days=rng.randrange(730))
        return min(filed, self.today)

    def bad(self, kind: str) -> dict:
        return self.spoil(self.good(), kind)

    def spoil(self, row: dict, kind: str) -> dict:
        """A copy of a good row with one defect of `kind`."""
        row = dict(row)
        rng = self.rng
        if kind == "bad_check_digit":
            digits = "0123456789X".replace(row["id_number"][-1], "")
            row["id_number"] = row["id_number"][:-1] + rng.choice(digits)
        elif kind == "future_date":
            field = rng.choice(("enlisted_on", "discharged_on"))
            row[field] = self.today + timedelta(days=rng.randint(30, 900))
        elif kind == "unknown_category":
            row["discharge_category"] = rng.choice(("志愿兵", "退伍军人", "复员军人", "其他"))
        elif kind == "missing_name":
            row["name"] = ""
        elif kind == "duplicate_id_number" and self.recent:
            row = {**rng.choice(self.recent), "phone": row["phone"]}
        elif kind == "duplicate_id_number":
            row["name"] = ""  # no earlier good row to copy yet: a missing name instead
        elif kind == "bad_phone":
            row["phone"] = rng.choice(("1234567", "2385791234", "138-5791-23"))
        elif kind == "discharged_before_enlisted":
            row["discharged_on"] = row["enlisted_on"] - timedelta(days=rng.randint(30, 700))
        elif kind == "enlisted_too_young":
            born = row["birth_date"]
            row["enlisted_on"] = date(born.year + rng.randint(10, 14), 9, 1)
            row["discharged_on"] = None
        elif kind == "sex_mismatch":
            row["sex"] = "女" if row["sex"] == "男" else "男"
        elif kind == "not_a_date":
            row["enlisted_on"] = rng.choice(("1990-13-45", "九〇年冬", "2月30日"))
        elif kind == "short_id_number":
            row["id_number"] = row["id_number"][:rng.randint(15, 17)]
        elif kind == "missing_station":
            row["service_station"] = ""
        return row

    def rows(self, count: int, bad_share: float):
        bad_count = round(count * bad_share)
        bad_at = set(self.rng.sample(range(count), bad_count)) if bad_count else set()
        kinds = 0
        for n in range(count):
            if n in bad_at:
                yield self.bad(BAD_KINDS[kinds % len(BAD_KINDS)])
                kinds += 1
            else:
                row = self.good()
                if len(self.recent) < 1000:
                    self.recent.append(row)
                else:
                    self.recent[self.rng.randrange(1000)] = row
                yield row


def write(path: Path, rows, progress=None) -> None:
    """CSV or XLSX by the file name, with the bureau's Chinese headers."""
    headers = [chinese for _, chinese in COLUMNS]
    fields = [name for name, _ in COLUMNS]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("退役军人")
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(f) for f in fields])
            if progress:
                progress()
        book.save(path)
        return
    if path.suffix.lower() != ".csv":
        raise SystemExit("--out must end in .csv or .xlsx")
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if row.get(f) is None else row.get(f) for f in fields])
            if progress:
                progress()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vetlife-sample", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["veterans"])
    parser.add_argument("count", type=int)
    parser.add_argument("--bad-share", type=float, default=0.0,
                        help="share of rows with one deliberate defect each (0 to 1)")
    parser.add_argument("--out", required=True, type=Path, help="a .csv or .xlsx file")
    parser.add_argument("--seed", type=int, default=20201231)
    args = parser.parse_args(argv)
    if not 0 <= args.bad_share <= 1 or args.count < 0:
        parser.error("--bad-share must be between 0 and 1, count at least 0")
    from tqdm import tqdm

    sampler = Sampler(args.seed, shanghai_today())
    with tqdm(total=args.count, unit="行", desc="生成", file=sys.stderr) as bar:
        write(args.out, sampler.rows(args.count, args.bad_share), bar.update)
    print(f"{args.out}: {args.count} rows, {round(args.count * args.bad_share)} deliberately bad")
    return 0


if __name__ == "__main__":
    sys.exit(main())
