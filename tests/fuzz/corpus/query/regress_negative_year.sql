SELECT from_iso8601_timestamp('-023-05-01T10:00:0.Z') AS a
