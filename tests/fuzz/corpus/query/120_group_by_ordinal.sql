SELECT action, dstport, count(*) AS n FROM flows WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY 2, 1
