SELECT count(*) AS n, sum(bytes) AS s FROM flows
