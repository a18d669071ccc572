"""A company's widgets: the per-process cache every visitor request reads (cache), and
the look a widget may be given (theme)."""
