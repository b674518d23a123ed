SELECT count(*) AS n FROM flows WHERE date >= DATE '2024-05-03'
