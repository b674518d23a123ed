SELECT srcaddr FROM flows WHERE srcaddr IS NOT NULL GROUP BY srcaddr ORDER BY sum(bytes) DESC NULLS LAST, srcaddr LIMIT 3
