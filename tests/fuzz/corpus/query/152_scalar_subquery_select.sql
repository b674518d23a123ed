SELECT (SELECT max(bytes) FROM flows) AS mx, (SELECT count(*) FROM flows WHERE cloud = 'gcp') AS g
