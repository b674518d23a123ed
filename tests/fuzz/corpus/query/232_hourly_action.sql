SELECT action, min(hour) AS first_hour, max(hour) AS last_hour FROM flows GROUP BY action ORDER BY action
