"""`callback doctor`: check a configuration before visitors do, and say what to fix.

`checks` holds one function per check, each returning a `Finding` (name, ok, detail,
fix); `diagnose` runs them in order on the settings of the environment, giving each only
what it needs; `cli` prints them, one line each or as JSON, and exits 1 on any failure.
The doctor builds no app: a configuration the app refuses to start with is what it must
still be able to read and report on.
"""
