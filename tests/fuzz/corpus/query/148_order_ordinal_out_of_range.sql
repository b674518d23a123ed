SELECT srcaddr FROM flows ORDER BY 2
