SELECT count(*) AS n FROM flows WHERE bytes IS NOT NULL
