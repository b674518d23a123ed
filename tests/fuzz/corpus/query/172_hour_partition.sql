SELECT hour, sum(bytes) AS b FROM flows WHERE hour BETWEEN 6 AND 12 GROUP BY hour ORDER BY hour
