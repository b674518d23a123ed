SELECT length(interface_id) AS n, count(*) AS c FROM flows GROUP BY 1 ORDER BY 1 NULLS FIRST
