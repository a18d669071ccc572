"""The blocklist: numbers, prefixes and address ranges a widget (or every widget) never
calls back. `entries` adds, lists and removes them; `matching` decides a submission;
`decoys` answers a blocked visitor exactly as an accepted one."""
