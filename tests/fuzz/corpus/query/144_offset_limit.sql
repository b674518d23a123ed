SELECT srcaddr, bytes FROM flows WHERE bytes IS NOT NULL ORDER BY bytes DESC, srcaddr OFFSET 2 LIMIT 3
