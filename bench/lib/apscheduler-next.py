"""Next-fire computations per second of APScheduler 3's CronTrigger, chained as the scheduler
chains them (each result fed back as previous_fire_time). Prints one JSON line.
Usage: apscheduler-next.py utc-every-5|paris-weekdays SECONDS"""
import json
import sys
import time
from datetime import datetime

import apscheduler
import pytz
from apscheduler.triggers.cron import CronTrigger

CASES = {
    "utc-every-5": lambda: CronTrigger(minute="*/5", timezone="UTC"),
    "paris-weekdays": lambda: CronTrigger(
        day_of_week="mon-fri", hour=17, minute=30, timezone="Europe/Paris"
    ),
}

case, budget = sys.argv[1], float(sys.argv[2])
trigger = CASES[case]()
start = pytz.utc.localize(datetime(2026, 1, 1))
# Chains restart from start past the horizon, as the bench's other chains do.
horizon = pytz.utc.localize(datetime(2126, 1, 1))
rounds = []
first = []
for _ in range(5):
    count = 0
    t = trigger.get_next_fire_time(None, start)
    t0 = time.perf_counter()
    deadline = t0 + budget / 5
    while True:
        for _ in range(200):
            t = trigger.get_next_fire_time(t, t)
            if t is None or t > horizon:
                t = trigger.get_next_fire_time(None, start)
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    rounds.append(count / (now - t0))
    if len(first) == 0:
        t = trigger.get_next_fire_time(None, start)
        for _ in range(3):
            first.append(t.isoformat())
            t = trigger.get_next_fire_time(t, t)
rounds.sort()
print(json.dumps({"perSecond": rounds[len(rounds) // 2], "rounds": rounds, "first": first,
                  "version": apscheduler.__version__}))
