"""Demo scenarios: one module per procedure folder of processes/ (docs/demo.md).

Found by the folder's name: lower-cased, every run of characters other than a-z and 0-9 turned
into one "_" (and a leading digit prefixed with "p_"): processes/HKD-01 -> `hkd_01.py`,
processes/CT.BS-01 -> `ct_bs_01.py`. A folder without a module is published and reported as
"no scenario" (not a failure).

A scenario module defines::

    def run(demo: cli.demo.driver.Demo) -> None

`run` starts with the clock at the demo's start (default Friday 13 February 2026 15:30, Vietnam
time, the last working afternoon before Tết) and drives its dossiers to their end:

- `demo.register(applicant, data=None, channel="desk")` registers a dossier at the desk (tracked:
  the runner prints it and fails the scenario if it did not end);
- `demo.complete(dossier, element_id, data, agency=None)` has the official the task waits for claim
  and complete it (TaskService, the API's rules);
- `demo.services.lifecycle.*`, `demo.services.messages.*` for the lifecycle actions and messages,
  acting as `demo.official(role, agency=None)` (accounts are created on first use);
- `demo.advance_to(instant)` / `demo.advance(hours=…)` move the clock, firing timers at their
  instants; `demo.at(y, m, d, h, mi)` builds an instant in the province's zone;
  `demo.working_hours_later(h)` counts working time;
- `demo.say(text)` adds a line to the printed story;
- a feedback procedure (processes/PAKN-01) has no dossiers: its scenario calls
  `demo.services.feedback.*` and `demo.track_feedback(code)` on each case, which the runner prints
  and fails the scenario on if it was not answered (pakn_01.py).

Anything it raises (or a tracked dossier that has not ended) makes `motcua demo` exit non-zero.
Never call SpiffWorkflow, the database or HTTP: only services, as the API does.
"""
