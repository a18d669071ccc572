"""The people who take calls: who is on (roster), which of them to ring (routing), and
`callback agents` (cli)."""
