SELECT srcaddr, bytes * 2 AS dbl FROM flows WHERE cloud = 'gcp' ORDER BY dbl
