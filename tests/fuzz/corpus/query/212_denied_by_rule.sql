SELECT coalesce(rule, '(none)') AS rule, dstport, srcaddr, count(*) AS n FROM flows WHERE action = 'REJECT' GROUP BY 1, 2, 3 ORDER BY n DESC, 1, 2, 3
