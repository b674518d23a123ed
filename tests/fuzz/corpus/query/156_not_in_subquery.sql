SELECT count(*) AS n FROM flows WHERE dstport NOT IN (SELECT dstport FROM flows WHERE action = 'REJECT' AND dstport IS NOT NULL)
