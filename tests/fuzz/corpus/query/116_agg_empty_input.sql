SELECT count(*) AS n, sum(bytes) AS s, avg(bytes) AS a, min(srcaddr) AS m, count(DISTINCT srcaddr) AS d FROM flows WHERE cloud = 'nope'
