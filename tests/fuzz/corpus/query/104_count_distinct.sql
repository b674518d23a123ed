SELECT count(DISTINCT srcaddr) AS a, count(DISTINCT cloud) AS b FROM flows
