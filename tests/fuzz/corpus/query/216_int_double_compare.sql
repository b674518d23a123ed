SELECT count(*) AS n FROM flows WHERE bytes > 999.5 AND bytes < 1400.5
