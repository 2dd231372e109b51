"""APScheduler 3 as a test oracle for Tasse's triggers.

Reads one JSON document on stdin: a list of cases
    {"trigger": "cron" | "interval" | "date", "options": {...}, "now": <epoch µs>, "count": N}
and prints one JSON document: a list, per case, of
    {"fires": [<epoch µs>, ...], "error": null | "<message>"}
The fire times are chained as APScheduler's scheduler chains them: the first with
get_next_fire_time(None, now), each later one with (previous, previous).
Run it with /usr/bin/python3 (Debian's python3-apscheduler, 3.9.1).
"""
import json
import sys
from datetime import datetime, timedelta

import pytz
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

EPOCH = datetime(1970, 1, 1, tzinfo=pytz.utc)
ONE_MICROSECOND = timedelta(microseconds=1)
TRIGGERS = {"cron": CronTrigger, "interval": IntervalTrigger, "date": DateTrigger}


def to_micros(value):
    return (value - EPOCH) // ONE_MICROSECOND


def run(case):
    options = dict(case["options"])
    options.setdefault("timezone", "UTC")
    try:
        trigger = TRIGGERS[case["trigger"]](**options)
    except Exception as error:  # APScheduler rejects the options: that is the answer
        return {"fires": [], "error": "%s: %s" % (type(error).__name__, error)}
    now = EPOCH + timedelta(microseconds=case["now"])
    fires = []
    previous = None
    try:
        for _ in range(case["count"]):
            fire = trigger.get_next_fire_time(previous, previous or now)
            if fire is None:
                break
            fires.append(to_micros(fire))
            previous = fire
    except Exception as error:
        return {"fires": fires, "error": "%s: %s" % (type(error).__name__, error)}
    return {"fires": fires, "error": None}


def main():
    cases = json.load(sys.stdin)
    json.dump([run(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
