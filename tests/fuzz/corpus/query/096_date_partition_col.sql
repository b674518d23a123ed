SELECT date, count(*) AS n FROM flows GROUP BY date ORDER BY date
