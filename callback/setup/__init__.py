"""Making widgets and agents: the rules every way in shares (admin API, console, CLI)."""
