"""The months of the activity pages (`kinds.activity.activity_months`): grouped by the date's year and month as
numbers, they are the months `strftime("%Y-%m")` names, newest first, each with its activities in the listed order."""

from __future__ import annotations

import datetime
from collections import defaultdict

from hypothesis import given, strategies as st

from dangjian.site.kinds import activity


class Listed:
    """What `activity_months` reads of a site: its activities, newest first as listed (weakly referable)."""

    def __init__(self, activities: list[dict]) -> None:
        self.activities = activities


def by_strftime(activities: list[dict]) -> dict[str, list[dict]]:
    months: dict[str, list[dict]] = defaultdict(list)
    for item in activities:
        months[item["date"].strftime("%Y-%m")].append(item)
    return dict(sorted(months.items(), reverse=True))


@given(days=st.lists(st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(2200, 12, 31)), max_size=40))
def test_the_months_are_those_strftime_names_newest_first(days):
    activities = [{"date": day, "n": n} for n, day in enumerate(sorted(days, reverse=True))]
    found = activity.activity_months(Listed(activities))
    assert found == by_strftime(activities) and list(found) == list(by_strftime(activities))
