"""Brand performance reports: facts, daily rollups, report queries, charts and exports."""
