SELECT from_iso8601_timestamp('2024-05-01T10:00:00Z') AS a
