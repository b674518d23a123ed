SELECT count(*) AS n FROM (SELECT * FROM flows)
