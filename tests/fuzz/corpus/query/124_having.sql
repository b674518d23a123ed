SELECT srcaddr, count(*) AS n FROM flows GROUP BY srcaddr HAVING count(*) > 1 ORDER BY srcaddr
