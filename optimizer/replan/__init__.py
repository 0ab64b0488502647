"""Re-plans of a published plan: new demand in, published shifts kept, gigs, extensions and VTO out.

``run.replan`` is the entry point; ``inputs`` turns a published plan into the model's input, ``demand``
applies uplifts or a new forecast, ``changes`` and ``offers`` describe what the re-plan changed and what to
send out, ``domain`` holds the options and the result.
"""

from optimizer.replan.run import replan, replan_digest

__all__ = ["replan", "replan_digest"]
