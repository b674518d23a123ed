WITH a AS (SELECT cloud, count(*) AS n FROM flows GROUP BY cloud), b AS (SELECT max(n) AS m FROM a) SELECT cloud FROM a WHERE n = (SELECT m FROM b)
