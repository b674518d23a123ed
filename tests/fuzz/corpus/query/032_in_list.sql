SELECT count(*) AS n FROM flows WHERE dstport IN (22, 3389)
