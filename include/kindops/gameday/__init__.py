"""Game days: chaos scenarios under k6 load, judged on steady-state probes and SLO burn.

See ``README.md`` in this folder; the CLI is ``kindops gameday`` (:mod:`kindops.commands.gameday`).
"""
