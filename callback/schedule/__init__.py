"""When calls may happen: opening hours and holidays (hours), bookable times (slots),
and where a waiting visitor stands (queue_estimate)."""
