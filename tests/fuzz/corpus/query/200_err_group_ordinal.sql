SELECT srcaddr FROM flows GROUP BY 3
