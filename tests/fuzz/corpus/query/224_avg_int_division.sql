SELECT avg(dstport) AS a FROM flows WHERE dstport IN (22, 3389)
