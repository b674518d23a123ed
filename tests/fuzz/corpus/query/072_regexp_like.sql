SELECT DISTINCT dstaddr FROM flows WHERE regexp_like(dstaddr, '^(8|1)\.') ORDER BY 1
