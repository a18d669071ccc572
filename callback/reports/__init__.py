"""Reports for managers: figures from roll-ups kept by the lifecycle, charts and exports."""
