"""Jindong's eleven township-level units and the distances between their seats, for matching."""
from __future__ import annotations

TOWNSHIPS = ("多湖街道", "东孝街道", "孝顺镇", "傅村镇", "曹宅镇", "澧浦镇", "岭下镇", "江东镇",
             "塘雅镇", "赤松镇", "源东乡")

# Straight-line kilometres between township seats, rounded; approximate (from map coordinates of
# each seat), and good enough to tell a neighbouring town from the far side of the district.
# Road distances can replace them here without touching anything else.
_UPPER = {
    "多湖街道": (4, 16, 22, 14, 11, 17, 10, 9, 5, 25),
    "东孝街道": (12, 18, 11, 12, 15, 6, 5, 4, 21),
    "孝顺镇": (8, 6, 20, 14, 9, 7, 12, 10),
    "傅村镇": (9, 28, 22, 17, 14, 18, 11),
    "曹宅镇": (22, 19, 11, 6, 9, 16),
    "澧浦镇": (11, 11, 16, 16, 26),
    "岭下镇": (9, 15, 18, 17),
    "江东镇": (6, 10, 16),
    "塘雅镇": (5, 17),
    "赤松镇": (22,),
}


def _table() -> dict[tuple[str, str], int]:
    table = {(t, t): 0 for t in TOWNSHIPS}
    for i, (township, row) in enumerate(_UPPER.items()):
        for other, km in zip(TOWNSHIPS[i + 1:], row, strict=True):
            table[(township, other)] = table[(other, township)] = km
    return table


DISTANCE_KM = _table()

# Postings outside the district (Yiwu, Wucheng...) share one group in the matching index: their
# distance is not in the table.
ELSEWHERE = ""


def distance_km(a: str, b: str) -> int | None:
    """Kilometres between two townships' seats, or None when either is outside the table."""
    return DISTANCE_KM.get((a, b))


def township_key(township: str) -> str:
    """The township as matching groups it: itself when in the table, else ELSEWHERE."""
    return township if township in TOWNSHIPS else ELSEWHERE
