"""The verify step of a build: the spec's command run in output_dir (command.py), its
output read for failures (failures.py), each traced to the generated definitions it
goes through (suspects.py), those asked for again (loop.py), and what came of it
(results.py)."""
